# Builds an INTERFACE target carrying our warning flags. Linked PRIVATE into our
# own targets only, so third-party headers (included as SYSTEM) stay quiet.

function(chat_make_warnings_target name as_errors)
  add_library(${name} INTERFACE)
  set(flags
      -Wall
      -Wextra
      -Wpedantic
      -Wshadow # a shadowed name is almost always a bug in coroutine lambdas
      -Wconversion # sizes cross int/size_t boundaries in every parser
      -Wsign-conversion
      -Wnon-virtual-dtor # members and sinks are used through base pointers
      -Wold-style-cast
      -Wcast-align
      -Woverloaded-virtual
      -Wdouble-promotion
      -Wformat=2
      -Wimplicit-fallthrough)
  # Not -Wnull-dereference: at -O2 g++ 12 reports it inside asio's inlined
  # scheduler code, which SYSTEM includes cannot silence.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    list(APPEND flags -Wmisleading-indentation -Wduplicated-cond -Wlogical-op
         # g++ 12 under TSan's optimisation pairs asio's coroutine-frame
         # operator new (aligned_new) with the std::free inside its matching
         # aligned_delete and calls them mismatched: a false positive in
         # inlined asio code that SYSTEM includes cannot silence.
         -Wno-mismatched-new-delete
         # g++ 12 at -O2 under TSan reports impossible overlapping copies
         # (sizes near 2^63) inside std::string's inlined assign and append
         # (GCC bugs 105329, 105651), in whichever file inlines them.
         -Wno-restrict)
  endif()
  if(as_errors)
    list(APPEND flags -Werror)
  endif()
  target_compile_options(${name} INTERFACE ${flags})
endfunction()
