#pragma once
/* The C interface of the sentencepiece plugin (indexer/plugins/sentencepiece_plugin.cpp).
 *
 * libsentencepiece carries its own protobuf 3.14 symbols, which clash with the system protobuf
 * libtorch uses; so sentencepiece lives in a shared library that the process loads with
 * dlmopen(LM_ID_NEWLM) into a separate link namespace (see cmake/Dependencies.cmake). Only C types
 * cross this boundary, and every buffer is owned by the caller: the plugin writes into buffers it
 * is given and never hands out memory for the caller to free. Processors are created and released
 * by the plugin's own functions. Errors come back as a negative result with a message written to
 * `err` (NUL-terminated, truncated to `err_cap`). No function lets a C++ exception escape. */

#include <stddef.h>
#include <stdint.h>

#define PALIMPSEST_SPM_API_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pspm_processor pspm_processor;

/* PALIMPSEST_SPM_API_VERSION of the plugin. */
int pspm_api_version(void);

/* Loads a .model file; NULL on failure. Release with pspm_release. */
pspm_processor* pspm_load(const char* model_path, char* err, size_t err_cap);
void pspm_release(pspm_processor* processor);

/* Encodes UTF-8 text into ids: writes min(count, cap) ids and returns the full count (call again
 * with a larger buffer when it exceeds cap), or -1 on failure. */
long pspm_encode(const pspm_processor* processor, const char* text, size_t text_len, int32_t* ids,
                 size_t cap, char* err, size_t err_cap);

/* Decodes ids into UTF-8: writes min(length, cap) bytes (no terminator) and returns the full byte
 * length, or -1 on failure. */
long pspm_decode(const pspm_processor* processor, const int32_t* ids, size_t count, char* out,
                 size_t cap, char* err, size_t err_cap);

/* The piece of an id, as pspm_decode returns bytes; -1 when the id is out of range. */
long pspm_id_to_piece(const pspm_processor* processor, int32_t id, char* out, size_t cap);

int pspm_piece_size(const pspm_processor* processor);

/* Special ids; -1 where the model has none. */
void pspm_special_ids(const pspm_processor* processor, int32_t* unk, int32_t* bos, int32_t* eos,
                      int32_t* pad);

/* SentencePieceTrainer::Train with `count` key/value flags (e.g. "input", "model_prefix",
 * "vocab_size"). Returns 0 on success, -1 with a message on failure. */
int pspm_train(const char* const* keys, const char* const* values, size_t count, char* err,
               size_t err_cap);

#ifdef __cplusplus
}
#endif
