# Fails when BINARY (a test executable) loads libtorch, libc10 or FAISS, directly or through
# another library: the timeline and foundation targets must build and run without them.
execute_process(COMMAND ldd ${BINARY} OUTPUT_VARIABLE _libs RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "ldd ${BINARY} failed")
endif()
string(REGEX MATCHALL "lib(torch|c10|faiss)[^ \t\n]*" _heavy "${_libs}")
if(_heavy)
  list(REMOVE_DUPLICATES _heavy)
  message(FATAL_ERROR "${BINARY} links ${_heavy}")
endif()
message(STATUS "${BINARY}: no libtorch, libc10 or FAISS")
