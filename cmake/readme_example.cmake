# The README's library example is compiled (not run: it needs real credentials), so it cannot
# drift from the API. Configure extracts the first ```cpp block of README.md, and re-runs when
# the README changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/README.md)
file(READ ${PROJECT_SOURCE_DIR}/README.md readme_text)
string(FIND "${readme_text}" "```cpp\n" block_start)
if(block_start EQUAL -1)
    message(FATAL_ERROR "README.md has no ```cpp block: the library example is missing")
endif()
math(EXPR block_start "${block_start} + 7")
string(SUBSTRING "${readme_text}" ${block_start} -1 readme_rest)
string(FIND "${readme_rest}" "```" block_length)
string(SUBSTRING "${readme_rest}" 0 ${block_length} readme_example)
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/readme_example.cpp CONTENT "${readme_example}" @ONLY)

add_executable(readme_example ${PROJECT_BINARY_DIR}/readme_example.cpp)
target_link_libraries(readme_example PRIVATE ascpp::ascpp)
ascpp_target_defaults(readme_example)
