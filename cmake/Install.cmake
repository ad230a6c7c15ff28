# What `cmake --install` puts where (GNUInstallDirs), and the Debian package
# CPack makes of it (`cpack -G DEB` in the build directory):
#   sbin/chat-server, bin/chat-client, bin/chat-bench
#   share/man/man{1,5,8}: the pages, from docs/man/*.scd by scdoc, gzipped
#   etc/chat/chat-server.toml: the example configuration (a conffile)
#   lib/systemd/system/chat-server.service
#   share/doc/chat-server: README.md, copyright, changelog.gz
include(GNUInstallDirs)

install(TARGETS chat-server RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS chat-client RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET chat-bench)
  install(TARGETS chat-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# Man pages: written in scdoc (Debian's scdoc package), built with the rest
# and installed compressed (gzip -n: the same bytes at every build).
find_program(SCDOC scdoc)
find_program(GZIP gzip)
if(SCDOC AND GZIP)
  set(chat_man_pages chat-server.8 chat-server.toml.5 chat-client.1 chat-bench.1)
  set(chat_man_outputs "")
  foreach(page ${chat_man_pages})
    string(REGEX MATCH "[0-9]$" section "${page}")
    set(source "${PROJECT_SOURCE_DIR}/docs/man/${page}.scd")
    set(output "${PROJECT_BINARY_DIR}/man/${page}.gz")
    add_custom_command(
      OUTPUT "${output}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${PROJECT_BINARY_DIR}/man"
      COMMAND sh -c "\"${SCDOC}\" < \"${source}\" | \"${GZIP}\" -9n > \"${output}\""
      DEPENDS "${source}"
      COMMENT "Man page ${page}"
      VERBATIM)
    list(APPEND chat_man_outputs "${output}")
    install(FILES "${output}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}")
  endforeach()
  add_custom_target(chat_man_pages ALL DEPENDS ${chat_man_outputs})
else()
  message(WARNING "scdoc not found: the man pages are neither built nor installed (apt-get install scdoc)")
endif()

# The configuration lives in /etc even when the prefix is /usr (GNUInstallDirs
# makes SYSCONFDIR absolute for that prefix); the unit in /lib/systemd/system
# on Debian 12, where units under /usr/lib are not yet the rule.
install(FILES packaging/chat-server.toml DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/chat")
set(CHAT_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING "Where the systemd unit goes, under the prefix")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(chat_unit_dir "/${CHAT_SYSTEMD_UNIT_DIR}")
else()
  set(chat_unit_dir "${CHAT_SYSTEMD_UNIT_DIR}")
endif()
install(FILES packaging/chat-server.service DESTINATION "${chat_unit_dir}")
# Debian keeps a package's documents under its own name: the README, the
# copyright file and the changelog (compressed, as Debian's policy asks).
set(chat_doc_dir "${CMAKE_INSTALL_DATAROOTDIR}/doc/chat-server")
install(FILES README.md packaging/copyright DESTINATION "${chat_doc_dir}")
if(GZIP)
  set(chat_changelog "${PROJECT_BINARY_DIR}/changelog.gz")
  add_custom_command(
    OUTPUT "${chat_changelog}"
    COMMAND sh -c "\"${GZIP}\" -9n < \"${PROJECT_SOURCE_DIR}/packaging/changelog\" > \"${chat_changelog}\""
    DEPENDS "${PROJECT_SOURCE_DIR}/packaging/changelog"
    VERBATIM)
  add_custom_target(chat_changelog ALL DEPENDS "${chat_changelog}")
  install(FILES "${chat_changelog}" DESTINATION "${chat_doc_dir}")
endif()

# ---- The Debian package
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "chat-server")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "coroutine chat server with IRC and seed-compatible front doors")
set(CPACK_PACKAGE_DESCRIPTION "An IRC server (modern IRC and IRCv3) that also speaks the protocol of a
small Python student chatroom, on shared rooms, with a console client and
a benchmark.")
set(CPACK_PACKAGE_CONTACT "chat-server maintainers <maintainers@chat-server.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# The libraries' packages come from dpkg-shlibdeps; adduser for the user
# postinst makes.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/packaging/debian/postinst;${PROJECT_SOURCE_DIR}/packaging/debian/prerm;${PROJECT_SOURCE_DIR}/packaging/debian/postrm;${PROJECT_SOURCE_DIR}/packaging/debian/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
