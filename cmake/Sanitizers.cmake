# Builds an INTERFACE target that compiles and links with the requested
# sanitizers (a semicolon list such as "address;undefined" or "thread").

function(chat_make_sanitizers_target name sanitizers)
  add_library(${name} INTERFACE)
  if(NOT sanitizers)
    return()
  endif()
  list(JOIN sanitizers "," joined)
  set(flags -fsanitize=${joined} -fno-omit-frame-pointer)
  if("undefined" IN_LIST sanitizers)
    # A UB report must fail the test that caused it, not scroll past.
    list(APPEND flags -fno-sanitize-recover=all)
  endif()
  if("thread" IN_LIST sanitizers AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # asio uses std::atomic_thread_fence, which g++ 12 warns TSan cannot see;
    # the fences are paired with atomics TSan does see.
    list(APPEND flags -Wno-tsan)
  endif()
  target_compile_options(${name} INTERFACE ${flags})
  target_link_options(${name} INTERFACE -fsanitize=${joined})
endfunction()
