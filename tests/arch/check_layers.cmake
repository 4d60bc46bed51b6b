# Checks the layering rule: shared <- sync <- {server, client-sdk}; the domain modules' pure rules
# (shared/domain/<name>/, included as verdant/<name>/) see shared only and are seen by the server
# and the SDK, never by sync.
#
#   cmake -DSOURCE_DIR=<tree> -P check_layers.cmake
#
# Every source under a layer's folder may include Verdant headers only of the layers it may see,
# and never reach another folder with a relative "../" include. Fails listing every violation.

cmake_policy(SET CMP0057 NEW)  # if(... IN_LIST ...)

set(_layers shared sync server client-sdk)
set(_allowed_shared shared)
set(_allowed_sync shared sync)
file(GLOB _domains RELATIVE "${SOURCE_DIR}/shared/domain" "${SOURCE_DIR}/shared/domain/*")
set(_allowed_server shared sync server ${_domains})
set(_allowed_client-sdk shared sync client verdant.h ${_domains})

set(_violations "")
foreach(_layer IN LISTS _layers)
  file(GLOB_RECURSE _files
    "${SOURCE_DIR}/${_layer}/*.hpp" "${SOURCE_DIR}/${_layer}/*.cpp"
    "${SOURCE_DIR}/${_layer}/*.h" "${SOURCE_DIR}/${_layer}/*.c")
  foreach(_file IN LISTS _files)
    file(STRINGS "${_file}" _includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(_line IN LISTS _includes)
      string(REGEX MATCH "[<\"]([^>\"]+)[>\"]" _ "${_line}")
      set(_header "${CMAKE_MATCH_1}")
      if(_header MATCHES "\\.\\./")
        list(APPEND _violations "${_file}: relative include across folders: ${_header}")
      elseif(_header MATCHES "^verdant/([^/]+)")
        set(_target "${CMAKE_MATCH_1}")
        # A domain module's own headers, from inside it.
        set(_own "")
        if(_file MATCHES "/shared/domain/([^/]+)/")
          set(_own "${CMAKE_MATCH_1}")
        endif()
        if(NOT _target IN_LIST _allowed_${_layer} AND NOT _target STREQUAL _own)
          list(APPEND _violations "${_file}: ${_layer}/ may not include ${_header}")
        endif()
      endif()
    endforeach()
  endforeach()
endforeach()

if(_violations)
  list(JOIN _violations "\n  " _text)
  message(FATAL_ERROR "layering rule broken (shared <- sync <- {server, client-sdk}):\n  ${_text}")
endif()
message(STATUS "layering rule holds")
