#include "buffer_span.h"

namespace ffslab {

bool BufferSpan(Napi::Value v, uint8_t **data, size_t *len) {
  if (v.IsArrayBuffer()) {
    Napi::ArrayBuffer ab = v.As<Napi::ArrayBuffer>();
    *data = static_cast<uint8_t *>(ab.Data());
    *len = ab.ByteLength();
    return true;
  }
  if (v.IsTypedArray() || v.IsDataView()) {
    napi_value ab;
    void *base;
    size_t length, offset;
    if (v.IsTypedArray()) {
      napi_typedarray_type type;
      napi_get_typedarray_info(v.Env(), v, &type, &length, &base, &ab, &offset);
      length *= v.As<Napi::TypedArray>().ElementSize();
    } else {
      napi_get_dataview_info(v.Env(), v, &length, &base, &ab, &offset);
    }
    *data = static_cast<uint8_t *>(base);
    *len = length;
    return true;
  }
  return false;
}

}  // namespace ffslab
