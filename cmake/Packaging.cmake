# Debian package of Cairn, built with CPack's DEB generator:
#     scripts/package.sh                 (a Release build in build-package, then cpack)
#     cpack -G DEB                       (in any configured and built build directory)
#
# What the package installs besides the programs (install() rules of the top
# CMakeLists.txt, to /usr/bin):
#     /usr/share/man/man8/cairn-agent.8.gz, cairn-restore.8.gz, man5/cairn.conf.5.gz
#     /usr/share/doc/cairn/{README.md,CONFIG.md,OPERATIONS.md}
#     /usr/share/doc/cairn/examples/{cairn.conf,cron.example}
#     /lib/systemd/system/cairn-agent.service, cairn-backup@.service, cairn-backup@.timer,
#         cairn-prune.service, cairn-prune.timer, cairn-check.service, cairn-check.timer
#     /etc/cairn/ (empty, root:root 0755; the files put there carry their own modes)
# and packaging/debian/postinst and postrm as maintainer scripts (user cairn,
# /var/lib/cairn; see there).
#
# The man pages and documents are installed by `cmake --install` too (under
# its prefix). The systemd units and /etc/cairn are system-wide files that
# name /usr/bin/cairn-agent: they belong to the component "system", which only
# the package (or `cmake --install BUILD --component system`) installs.

set(CAIRN_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)

# --- man pages: the version in the .TH line follows the project's, then gzip -9n
set(CAIRN_MAN_PAGES cairn-agent.8 cairn-restore.8 cairn.conf.5)
find_program(CAIRN_GZIP gzip)
set(cairn_man_outputs)
foreach(page ${CAIRN_MAN_PAGES})
  set(src ${CAIRN_PACKAGING_DIR}/man/${page})
  set(versioned ${PROJECT_BINARY_DIR}/man/${page})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  file(READ ${src} text)
  string(REGEX REPLACE "\"Cairn [^\"]*\"" "\"Cairn ${PROJECT_VERSION}\"" text "${text}")
  file(WRITE ${versioned}.tmp "${text}")
  configure_file(${versioned}.tmp ${versioned} COPYONLY) # rewritten only when it changes
  string(REGEX MATCH "[0-9]$" section ${page})
  if(CAIRN_GZIP)
    add_custom_command(OUTPUT ${versioned}.gz
      COMMAND ${CAIRN_GZIP} -9 -n -c ${versioned} > ${versioned}.gz
      DEPENDS ${versioned}
      COMMENT "Compressing man page ${page}")
    list(APPEND cairn_man_outputs ${versioned}.gz)
    install(FILES ${versioned}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  else()
    install(FILES ${versioned} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endif()
endforeach()
if(cairn_man_outputs)
  add_custom_target(cairn_man ALL DEPENDS ${cairn_man_outputs})
endif()

# --- documentation and examples
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/CONFIG.md
              ${PROJECT_SOURCE_DIR}/docs/OPERATIONS.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CAIRN_PACKAGING_DIR}/cairn.conf ${CAIRN_PACKAGING_DIR}/cron.example
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# --- system-wide files (component "system", not part of a plain `cmake --install`)
set(CAIRN_SYSTEMD_UNITDIR /lib/systemd/system CACHE PATH "Where the package installs the systemd units")
file(GLOB CAIRN_SYSTEMD_UNITS CONFIGURE_DEPENDS ${CAIRN_PACKAGING_DIR}/systemd/*.service ${CAIRN_PACKAGING_DIR}/systemd/*.timer)
install(FILES ${CAIRN_SYSTEMD_UNITS} DESTINATION ${CAIRN_SYSTEMD_UNITDIR}
        COMPONENT system EXCLUDE_FROM_ALL)
# An empty /etc/cairn, 0755: a non-root user who runs the programs without a
# configuration file must find "no such file", not "permission denied". The example
# configuration is not installed there: a real one needs the site's
# repository and key, and the scheduler unit starts only once it exists.
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/packaging-etc/cairn)
install(DIRECTORY ${PROJECT_BINARY_DIR}/packaging-etc/cairn DESTINATION /etc
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                              WORLD_READ WORLD_EXECUTE
        COMPONENT system EXCLUDE_FROM_ALL)

# --- CPack: one monolithic .deb
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cairn)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Cairn")
set(CAIRN_PACKAGE_MAINTAINER "Cairn developers <cairn@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${CAIRN_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CAIRN_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "encrypted, deduplicated backup and point-in-time recovery agent")
set(CPACK_PACKAGE_DESCRIPTION
  "Cairn takes encrypted (libsodium), compressed (zstd), incremental and
deduplicated snapshots of files and directories into a local directory or
an S3-compatible bucket, copies them to replica sites, and restores the
newest point at or before a chosen time, reporting the data-loss window
against a Recovery Point Objective.
.
This package contains cairn-agent and cairn-restore, their manual pages,
systemd units (the cairn-agent run scheduler, or timers for backup, prune
and check) and a cron example. It creates the system user cairn and the
state directory /var/lib/cairn; it enables no service.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # cairn_VERSION-RELEASE_ARCH.deb
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_STRIP_FILES ON)

# Dependencies: the shared libraries the programs link (computed by
# dpkg-shlibdeps when dpkg-dev is installed, else the Debian 12 packages that
# provide them), plus adduser for postinst.
find_program(CAIRN_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(CAIRN_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "adduser, libc6 (>= 2.34), libcurl4 (>= 7.74), libexpat1 (>= 2.2), libinih1 (>= 53), libjansson4 (>= 2.14), libsodium23 (>= 1.0.18), libsqlite3-0 (>= 3.31), libssl3 (>= 3.0.0), libzstd1 (>= 1.4)")
endif()
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "cron")

# Maintainer scripts (mode 0755 in the package whatever their mode here).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CAIRN_PACKAGING_DIR}/debian/postinst ${CAIRN_PACKAGING_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Absolute destinations (/lib/systemd/system, /etc/cairn) go through DESTDIR;
# everything else is under /usr whatever CMAKE_INSTALL_PREFIX the build used.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# One package with every component: the default one (programs, man pages,
# documents) and "system".
set(CPACK_COMPONENTS_ALL Unspecified system)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)

set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "/\\\\.cache/" "__pycache__")

include(CPack)
