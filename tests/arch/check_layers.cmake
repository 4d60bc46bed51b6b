# Checks the layering rule: shared <- sync <- {server, client-sdk}, and inside them:
#  - a domain module's shared half (shared/domain/<name>/, included as verdant/<name>/) sees shared
#    only; verdant/domain (shared/domain/include, src) puts the domains' collections together;
#    sync sees no domain;
#  - the server's rooms (server/<room>/, included as verdant/server/<room>/) in this order:
#      http <- auth <- storage, sync <- one room per domain module (audit, training, photos: every
#      folder of server/ that is not infrastructure) <- app (and server/tool);
#    storage sees no HTTP; a module room sees the infrastructure rooms and the domains' shared
#    halves, never another module's room; the sync room sees no module (it asks them through
#    DomainModule).
#
#   cmake -DSOURCE_DIR=<tree> -P check_layers.cmake
#
# Every source under a layer's folder may include Verdant headers only of what it may see, and
# never reach another folder with a relative "../" include. Fails listing every violation.

cmake_policy(SET CMP0057 NEW)  # if(... IN_LIST ...)

# The domain modules: folders of shared/domain with a CMakeLists.txt of their own.
set(_domains "")
file(GLOB _entries RELATIVE "${SOURCE_DIR}/shared/domain" "${SOURCE_DIR}/shared/domain/*")
foreach(_entry IN LISTS _entries)
  if(EXISTS "${SOURCE_DIR}/shared/domain/${_entry}/CMakeLists.txt")
    list(APPEND _domains "${_entry}")
  endif()
endforeach()

# The server's infrastructure rooms; every other folder of server/ is a module room.
set(_infra http auth storage sync)
set(_server_rooms "")
file(GLOB _entries RELATIVE "${SOURCE_DIR}/server" "${SOURCE_DIR}/server/*")
foreach(_entry IN LISTS _entries)
  if(IS_DIRECTORY "${SOURCE_DIR}/server/${_entry}")
    list(APPEND _server_rooms "${_entry}")
  endif()
endforeach()

# What each part may include: "verdant/<x>" names (x = shared, sync, client, domain, a domain
# module) and "server/<room>" for verdant/server/<room>/.
set(_see_http shared server/http)
set(_see_auth shared sync server/http server/auth)
set(_see_storage shared sync server/storage)
set(_see_sync shared sync server/http server/auth server/storage server/sync)
set(_see_everything shared sync domain ${_domains})
foreach(_room IN LISTS _server_rooms)
  list(APPEND _see_everything server/${_room})
endforeach()

# The part a file belongs to, and what it may see.
function(part_of file out_part out_allowed)
  file(RELATIVE_PATH _rel "${SOURCE_DIR}" "${file}")
  if(_rel MATCHES "^shared/domain/(include|src)/")
    set(_part "shared/domain")
    set(_allowed shared domain ${_domains})
  elseif(_rel MATCHES "^shared/domain/([^/]+)/")
    set(_part "shared/domain/${CMAKE_MATCH_1}")
    set(_allowed shared ${CMAKE_MATCH_1})
  elseif(_rel MATCHES "^shared/")
    set(_part shared)
    set(_allowed shared)
  elseif(_rel MATCHES "^sync/")
    set(_part sync)
    set(_allowed shared sync)
  elseif(_rel MATCHES "^client-sdk/")
    set(_part client-sdk)
    set(_allowed shared sync client verdant.h domain ${_domains})
  elseif(_rel MATCHES "^server/([^/]+)/")
    set(_room "${CMAKE_MATCH_1}")
    set(_part "server/${_room}")
    if(_room IN_LIST _infra)
      set(_allowed ${_see_${_room}})
    elseif(_room STREQUAL "app" OR _room STREQUAL "tool")
      set(_allowed ${_see_everything})
    else()
      # A module room: the infrastructure, its own room, and the domains' shared halves (pure
      # collections and rules, e.g. training reads suppliers and findings of the audit domain);
      # never another module's room.
      set(_allowed ${_see_sync} server/${_room} ${_domains})
    endif()
  else()
    set(_part "")
    set(_allowed "")
  endif()
  set(${out_part} "${_part}" PARENT_SCOPE)
  set(${out_allowed} "${_allowed}" PARENT_SCOPE)
endfunction()

set(_violations "")
file(GLOB_RECURSE _files
  "${SOURCE_DIR}/shared/*.hpp" "${SOURCE_DIR}/shared/*.cpp"
  "${SOURCE_DIR}/sync/*.hpp" "${SOURCE_DIR}/sync/*.cpp"
  "${SOURCE_DIR}/server/*.hpp" "${SOURCE_DIR}/server/*.cpp"
  "${SOURCE_DIR}/client-sdk/*.hpp" "${SOURCE_DIR}/client-sdk/*.cpp"
  "${SOURCE_DIR}/client-sdk/*.h" "${SOURCE_DIR}/client-sdk/*.c")
foreach(_file IN LISTS _files)
  part_of("${_file}" _part _allowed)
  if(_part STREQUAL "")
    continue()
  endif()
  file(STRINGS "${_file}" _includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(_line IN LISTS _includes)
    string(REGEX MATCH "[<\"]([^>\"]+)[>\"]" _ "${_line}")
    set(_header "${CMAKE_MATCH_1}")
    if(_header MATCHES "\\.\\./")
      list(APPEND _violations "${_file}: relative include across folders: ${_header}")
      continue()
    endif()
    if(_header MATCHES "^verdant/server/([^/]+)/")
      set(_target "server/${CMAKE_MATCH_1}")
    elseif(_header MATCHES "^verdant/([^/]+)")
      set(_target "${CMAKE_MATCH_1}")
    else()
      continue()
    endif()
    if(NOT _target IN_LIST _allowed)
      list(APPEND _violations "${_file}: ${_part}/ may not include ${_header}")
    endif()
  endforeach()
endforeach()

if(_violations)
  list(JOIN _violations "\n  " _text)
  message(FATAL_ERROR "layering rule broken (shared <- sync <- {server, client-sdk}; server rooms "
                      "http <- auth <- storage, sync <- modules <- app):\n  ${_text}")
endif()
message(STATUS "layering rule holds")
