# The README's library section shows examples/embed/main.cpp: the ```cpp block after the line
# "<!-- examples/embed/main.cpp -->" must equal that file, which the install test compiles and runs.
# cmake -DREADME=<README.md> -DEXAMPLE=<main.cpp> -P readme_example.cmake
file(READ ${README} readme)
file(READ ${EXAMPLE} example)
set(marker "<!-- examples/embed/main.cpp -->\n```cpp\n")
string(FIND "${readme}" "${marker}" start)
if(start EQUAL -1)
  message(FATAL_ERROR "README.md has no line '<!-- examples/embed/main.cpp -->' followed by a ```cpp block")
endif()
string(LENGTH "${marker}" marker_length)
math(EXPR start "${start} + ${marker_length}")
string(SUBSTRING "${readme}" ${start} -1 rest)
string(FIND "${rest}" "```\n" end)
string(SUBSTRING "${rest}" 0 ${end} block)
if(NOT block STREQUAL example)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/readme_block.cpp "${block}")
  message(FATAL_ERROR "README.md's library section differs from ${EXAMPLE}; the README's block is in "
                      "${CMAKE_CURRENT_BINARY_DIR}/readme_block.cpp (diff the two)")
endif()
message(STATUS "README.md's library section is ${EXAMPLE} verbatim")
