// JPEG decoding with libjpeg-turbo's libjpeg API. libjpeg's default error_exit calls exit(), so a
// custom error manager longjmps back here and we throw dnntrain::Error instead.
#include <csetjmp>
#include <cstdio>
// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "data/image_decode.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

struct ErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg passes &pub as j_common_ptr->err
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_message(j_common_ptr) {}  // libjpeg must never print

// A truncated file is only a warning to libjpeg (it pads with grey); PIL refuses it, and so do we.
void on_emit(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_error(cinfo);
}

// PIL's MULDIV255: round(a * b / 255) in integers.
inline uint8_t muldiv255(int a, int b) {
  const int t = a * b + 128;
  return static_cast<uint8_t>((t + (t >> 8)) >> 8);
}

}  // namespace

void decode_jpeg(const uint8_t* bytes, size_t size, const std::string& name, Image& out,
                 uint64_t max_pixels) {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error;
  err.pub.output_message = on_message;
  err.pub.emit_message = on_emit;
  // Nothing with a destructor lives between setjmp and the libjpeg calls below: the scanline buffer
  // is `out`'s own storage, declared by the caller.
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    throw Error(name + ": corrupt JPEG: " + err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  if (std::string m = pixel_limit_error(cinfo.image_width, cinfo.image_height, max_pixels, name);
      !m.empty()) {
    jpeg_destroy_decompress(&cinfo);
    throw Error(m);
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  const bool gray = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  cinfo.out_color_space = cmyk ? JCS_CMYK : gray ? JCS_GRAYSCALE : JCS_RGB;
  const bool inverted = cinfo.saw_Adobe_marker;
  jpeg_start_decompress(&cinfo);
  const int w = static_cast<int>(cinfo.output_width), h = static_cast<int>(cinfo.output_height);
  const int comps = cinfo.output_components;
  // Rows are decoded interleaved into the tail of the planar buffer, then scattered: one allocation.
  if (std::string m = allocate_pixels(out, h, w, static_cast<size_t>(w) * comps, name); !m.empty()) {
    jpeg_destroy_decompress(&cinfo);
    throw Error(m);
  }
  uint8_t* line = out.pixels.data() + static_cast<size_t>(3) * h * w;
  const int64_t plane = static_cast<int64_t>(h) * w;
  while (cinfo.output_scanline < cinfo.output_height) {
    const int y = static_cast<int>(cinfo.output_scanline);
    JSAMPROW row = line;
    jpeg_read_scanlines(&cinfo, &row, 1);
    uint8_t* r = out.pixels.data() + static_cast<int64_t>(y) * w;
    for (int x = 0; x < w; ++x) {
      const uint8_t* p = line + x * comps;
      if (comps == 3) {
        r[x] = p[0], r[x + plane] = p[1], r[x + 2 * plane] = p[2];
      } else if (comps == 1) {
        r[x] = r[x + plane] = r[x + 2 * plane] = p[0];
      } else if (inverted) {  // Adobe CMYK stores inverted ink: PIL reads it as "CMYK;I"
        r[x] = muldiv255(p[0], p[3]), r[x + plane] = muldiv255(p[1], p[3]),
        r[x + 2 * plane] = muldiv255(p[2], p[3]);
      } else {
        r[x] = muldiv255(255 - p[0], 255 - p[3]), r[x + plane] = muldiv255(255 - p[1], 255 - p[3]),
        r[x + 2 * plane] = muldiv255(255 - p[2], 255 - p[3]);
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  out.pixels.resize(static_cast<size_t>(3) * h * w);
}

}  // namespace dnntrain::data
