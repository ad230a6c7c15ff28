# Builds an INTERFACE target with the hardening Debian's dpkg-buildflags
# gives its packages: a stack protector, _FORTIFY_SOURCE's checked libc
# calls (only where the optimiser runs, which it needs), and full RELRO with
# immediate binding, so that the GOT is read-only once the program starts.
# Not with sanitizers, which instrument the same calls their own way.

function(chat_make_hardening_target name enabled)
  add_library(${name} INTERFACE)
  if(NOT enabled OR CHAT_SANITIZERS)
    return()
  endif()
  target_compile_options(${name} INTERFACE -fstack-protector-strong
                                           $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>)
  target_link_options(${name} INTERFACE -Wl,-z,relro -Wl,-z,now)
endfunction()
