// Errors surfaced to JavaScript: Error objects with code (errno name), errno and syscall,
// like node's own fs errors, so callers can switch on err.code.
#pragma once
#include <napi.h>

namespace ffslab {

// Build an Error for `err` (a positive errno) raised by `syscall`.
Napi::Error ErrnoError(Napi::Env env, int err, const char *syscall, const char *detail = nullptr);

// Throw ErrnoError as a pending JS exception (NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS style).
void ThrowErrno(Napi::Env env, int err, const char *syscall, const char *detail = nullptr);

// errno number -> name ("ENOMEM"), "E?" when unknown.
const char *ErrnoName(int err);

}  // namespace ffslab
