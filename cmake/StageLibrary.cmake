# One library target per stage folder. Sources are globbed (CONFIGURE_DEPENDS) so that adding a
# file to a stage needs no CMake edit. A subfolder with a CMakeLists.txt of its own is a target of
# its own and is left out of its parent's glob.
function(palimpsest_stage_library name)
  file(GLOB_RECURSE _sources CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/*.h)
  # A stage's plugins/ folder holds separately loaded shared libraries, not library sources.
  list(FILTER _sources EXCLUDE REGEX "/plugins/")
  file(GLOB_RECURSE _own_targets CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*/CMakeLists.txt)
  foreach(_own IN LISTS _own_targets)
    get_filename_component(_dir ${_own} DIRECTORY)
    list(FILTER _sources EXCLUDE REGEX "^${_dir}/")
  endforeach()
  add_library(${name} STATIC ${_sources})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  target_compile_options(${name} PRIVATE -Wall -Wextra)
endfunction()

# Embeds text files (SQL migrations, JSON schemas) into a generated C++ source as raw strings.
# Produces ${out_cpp} defining `const std::vector<EmbeddedFile>& ${symbol}()`.
function(palimpsest_embed_files symbol out_cpp)
  set(_body "#include \"schema/embedded_file.h\"\nnamespace palimpsest {\nconst std::vector<EmbeddedFile>& ${symbol}() {\n  static const std::vector<EmbeddedFile> files = {\n")
  foreach(_file IN LISTS ARGN)
    file(READ ${_file} _content)
    get_filename_component(_name ${_file} NAME)
    string(APPEND _body "    {\"${_name}\", R\"__palimpsest__(${_content})__palimpsest__\"},\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_file})
  endforeach()
  string(APPEND _body "  };\n  return files;\n}\n}  // namespace palimpsest\n")
  # Written verbatim (no @VAR@ substitution: CSS has @media), and copied over the output only when
  # it changed, so that re-configuring does not force a rebuild.
  file(WRITE ${out_cpp}.tmp "${_body}")
  configure_file(${out_cpp}.tmp ${out_cpp} COPYONLY)
endfunction()
