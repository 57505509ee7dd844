{
  "targets": [
    {
      "target_name": "ffs_native",
      "sources": [
        "src/addon.cc",
        "src/errno_error.cc",
        "src/js_args.cc",
        "src/aio_context.cc",
        "src/buffer_span.cc",
        "src/stream_pump.cc",
        "src/stream_tally.cc",
        "src/tally_object.cc",
        "src/pump_common.cc",
        "src/copy_pump.cc",
        "src/dmabuf_pump.cc",
        "src/mapped_buffer.cc",
        "src/gup_read.cc",
        "src/fd_watcher.cc",
        "src/ffs_ioctl.cc",
        "src/dmabuf.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lz"],
      "conditions": [
        ["OS!='linux'", {"defines": ["FFS_NATIVE_UNSUPPORTED"]}]
      ]
    }
  ]
}
