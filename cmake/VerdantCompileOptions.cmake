# Compile options every Verdant target gets through `verdant_target_defaults(<target>)`.

add_library(verdant_compile_options INTERFACE)
target_compile_options(verdant_compile_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(VERDANT_WARNINGS_AS_ERRORS)
  target_compile_options(verdant_compile_options INTERFACE -Werror)
endif()

if(VERDANT_SANITIZE)
  set(_verdant_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_compile_options(verdant_compile_options INTERFACE ${_verdant_san})
  target_link_options(verdant_compile_options INTERFACE ${_verdant_san})
endif()

function(verdant_target_defaults target)
  target_link_libraries(${target} PRIVATE verdant_compile_options)
endfunction()
