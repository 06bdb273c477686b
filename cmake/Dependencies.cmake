# Every third-party dependency of Palimpsest, found once, exposed as imported targets.
# All come from Debian packages installed by scripts/setup.sh.

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# SQLite with FTS5 (Debian builds it in).
find_package(SQLite3 REQUIRED)

# FAISS's CMake config references OpenMP::OpenMP_CXX without finding it itself.
find_package(OpenMP REQUIRED)
find_package(faiss REQUIRED)

# libtorch (CPU). Torch's config appends flags to CMAKE_CXX_FLAGS; keep them local to its targets.
set(_palimpsest_saved_cxx_flags "${CMAKE_CXX_FLAGS}")
find_package(Torch REQUIRED)
set(CMAKE_CXX_FLAGS "${_palimpsest_saved_cxx_flags}")

find_package(nlohmann_json REQUIRED)
find_package(ZLIB REQUIRED)
find_package(CLI11 REQUIRED)
find_package(GTest REQUIRED)

pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET libavformat libavcodec libswscale libavutil)
# Audio: resampling (libswresample) and filter graphs (silencedetect, ebur128, loudnorm).
pkg_check_modules(LIBAV_AUDIO REQUIRED IMPORTED_TARGET libswresample libavfilter)
pkg_check_modules(TESSERACT REQUIRED IMPORTED_TARGET tesseract lept)
pkg_check_modules(POCKETSPHINX REQUIRED IMPORTED_TARGET pocketsphinx sphinxbase)
# Debian's sphinxbase.pc names /usr/include/sphinxbase, which does not exist (the headers are in
# /usr/include/<multiarch>/sphinxbase, also listed); CMake refuses a target with a missing include
# folder, so keep the ones that exist.
get_target_property(_pocketsphinx_includes PkgConfig::POCKETSPHINX INTERFACE_INCLUDE_DIRECTORIES)
set(_pocketsphinx_existing)
foreach(_dir IN LISTS _pocketsphinx_includes)
  if(EXISTS "${_dir}")
    list(APPEND _pocketsphinx_existing "${_dir}")
  endif()
endforeach()
set_target_properties(PkgConfig::POCKETSPHINX PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_pocketsphinx_existing}")
pkg_check_modules(POPPLER_CPP REQUIRED IMPORTED_TARGET poppler-cpp)
find_package(CURL REQUIRED)
find_package(PostgreSQL REQUIRED)
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)
pkg_check_modules(PROTOBUF REQUIRED IMPORTED_TARGET protobuf)
# cpp-httplib ships only a pkg-config file.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

# libsentencepiece.so.0 carries its own copy of protobuf (3.14 lite) symbols. When libtorch's
# protobuf users (onnx_proto) resolve against that copy, the process crashes at start-up; so every
# executable puts libprotobuf first in DT_NEEDED (palimpsest_link_protobuf_first). That alone is not
# enough: sentencepiece's own generated code then meets protobuf 3.21 and aborts on its version
# check the first time a model is loaded. So sentencepiece is never linked into a binary that has
# libtorch: it lives in a small plugin (indexer/plugins/) loaded with dlmopen() into its own link
# namespace, behind a C interface. See docs/architecture.md, "sentencepiece isolation".
find_library(PALIMPSEST_PROTOBUF_LIB NAMES protobuf REQUIRED)
function(palimpsest_link_protobuf_first target)
  target_link_options(${target} BEFORE PRIVATE "LINKER:--no-as-needed")
  target_link_libraries(${target} PRIVATE "-Wl,--no-as-needed" ${PALIMPSEST_PROTOBUF_LIB} "-Wl,--as-needed")
endfunction()
