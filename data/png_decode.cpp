// PNG decoding with libpng, errors through setjmp/longjmp (libpng's own convention) turned into
// dnntrain::Error; transforms expand palette, gray, 16-bit and alpha to 8-bit RGB. Also the checks
// both codecs share: the pixel limit and the guarded pixel allocation.
#include <png.h>

#include <cstring>
#include <vector>

#include "data/image_decode.hpp"
#include "engine/error.hpp"

namespace dnntrain::data {
namespace {

struct Reader {
  const uint8_t* bytes;
  size_t size, pos;
  char message[256];
};

void read_bytes(png_structp png, png_bytep dst, png_size_t n) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (n > r->size - r->pos) png_error(png, "truncated PNG data");
  std::memcpy(dst, r->bytes + r->pos, n);
  r->pos += n;
}

void on_error(png_structp png, png_const_charp msg) {
  auto* r = static_cast<Reader*>(png_get_error_ptr(png));
  std::strncpy(r->message, msg, sizeof(r->message) - 1);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

std::string allocate_rows(std::vector<png_bytep>& rows, int h, const std::string& name) {
  try {
    rows.resize(static_cast<size_t>(h));
  } catch (const std::bad_alloc&) {
    return name + ": out of memory for " + std::to_string(h) + " row pointers";
  }
  return {};
}

}  // namespace

void decode_png(const uint8_t* bytes, size_t size, const std::string& name, Image& out, uint64_t max_pixels) {
  Reader reader{bytes, size, 0, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_error, on_warning);
  DNNTRAIN_CHECK(png != nullptr, name + ": cannot create a PNG reader");
  png_infop info = png_create_info_struct(png);
  // Heap state touched after setjmp must not live in automatic variables that longjmp may clobber.
  static thread_local std::vector<png_bytep> rows;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw Error(name + ": corrupt PNG: " + reader.message);
  }
  if (info == nullptr) png_error(png, "out of memory");
  png_set_read_fn(png, &reader, read_bytes);
  png_read_info(png, info);
  if (std::string m = pixel_limit_error(png_get_image_width(png, info), png_get_image_height(png, info),
                                        max_pixels, name);
      !m.empty()) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw Error(m);
  }
  const int color = png_get_color_type(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_expand_gray_1_2_4_to_8(png);
    png_set_gray_to_rgb(png);
  }
  png_set_strip_16(png);
  png_set_strip_alpha(png);  // PIL's RGBA -> RGB drops alpha; tRNS is not expanded at all
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int w = static_cast<int>(png_get_image_width(png, info));
  const int h = static_cast<int>(png_get_image_height(png, info));
  if (png_get_channels(png, info) != 3) png_error(png, "unexpected channel count after conversion");
  const size_t row_bytes = png_get_rowbytes(png, info);
  const size_t planar = static_cast<size_t>(3) * h * w;
  {  // interleaved rows after the planes: one buffer; the message dies before the next longjmp
    std::string failed = allocate_pixels(out, h, w, row_bytes * h, name);
    if (failed.empty()) failed = allocate_rows(rows, h, name);
    if (!failed.empty()) {
      png_destroy_read_struct(&png, &info, nullptr);
      throw Error(failed);
    }
  }
  for (int y = 0; y < h; ++y) rows[y] = out.pixels.data() + planar + row_bytes * y;
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  const int64_t plane = static_cast<int64_t>(h) * w;
  for (int y = 0; y < h; ++y) {
    const uint8_t* src = rows[y];
    uint8_t* r = out.pixels.data() + static_cast<int64_t>(y) * w;
    for (int x = 0; x < w; ++x)
      r[x] = src[3 * x], r[x + plane] = src[3 * x + 1], r[x + 2 * plane] = src[3 * x + 2];
  }
  out.pixels.resize(planar);
}

std::string pixel_limit_error(uint64_t width, uint64_t height, uint64_t max_pixels, const std::string& name) {
  const uint64_t pixels = width * height;  // each side < 2^32: no overflow
  if (max_pixels == 0 || pixels <= max_pixels) return {};
  return name + ": " + std::to_string(width) + "x" + std::to_string(height) + " = " + std::to_string(pixels) +
         " pixels, more than the limit of " + std::to_string(max_pixels) +
         " (a decompression bomb?); raise --max-image-pixels if the image is genuine";
}

std::string allocate_pixels(Image& out, int height, int width, size_t extra, const std::string& name) {
  try {
    out.pixels.reserve(static_cast<size_t>(3) * height * width + extra);  // fails before touching memory
    out.resize(3, height, width);
    out.pixels.resize(out.pixels.size() + extra);
  } catch (const std::bad_alloc&) {
    return name + ": out of memory for " + std::to_string(width) + "x" + std::to_string(height) +
           " pixels; lower --max-image-pixels or free memory";
  }
  return {};
}

ImageFormat sniff_image_format(const uint8_t* b, size_t n) {
  static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return ImageFormat::jpeg;
  if (n >= 8 && std::memcmp(b, png_magic, 8) == 0) return ImageFormat::png;
  return ImageFormat::unknown;
}

void decode_image(const uint8_t* bytes, size_t size, const std::string& name, Image& out,
                  uint64_t max_pixels) {
  switch (sniff_image_format(bytes, size)) {
    case ImageFormat::jpeg:
      return decode_jpeg(bytes, size, name, out, max_pixels);
    case ImageFormat::png:
      return decode_png(bytes, size, name, out, max_pixels);
    default:
      throw Error(name +
                  ": not a JPEG or PNG image (unrecognised first bytes); only JPEG and PNG are "
                  "decoded, convert the file or use --skip-bad-images");
  }
}

}  // namespace dnntrain::data
