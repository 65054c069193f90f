// Image decoding for image folders: JPEG (libjpeg-turbo) and PNG (libpng), chosen by the file's
// magic bytes, never its extension; every image comes out as planar RGB. Codec errors never exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "data/image.hpp"

namespace dnntrain::data {

enum class ImageFormat { jpeg, png, unknown };

// PIL's Image.MAX_IMAGE_PIXELS (1 GiB / 4 / 3): larger images are refused as decompression bombs.
inline constexpr uint64_t kDefaultMaxImagePixels = 89478485;

// JPEG starts FF D8 FF; PNG starts 89 'P' 'N' 'G' 0D 0A 1A 0A.
ImageFormat sniff_image_format(const uint8_t* bytes, size_t size);

// Image files larger than this are refused before reading (a PNG or JPEG of a huge image still fits).
inline constexpr uint64_t kMaxImageFileBytes = uint64_t{1} << 30;

// Decodes `size` bytes into `out` as 3xHxW RGB. Grayscale is replicated, CMYK/YCCK converted as PIL
// does (Adobe-inverted CMYK: R = C*K/255), alpha dropped (PIL's RGBA->RGB), 16-bit PNG reduced to 8.
// Throws dnntrain::Error naming `name` for a corrupt, truncated or unsupported image, for one whose
// header declares more than `max_pixels` pixels (0: no limit; checked before any pixel buffer is
// allocated), and when memory for the pixels runs out.
void decode_image(const uint8_t* bytes, size_t size, const std::string& name, Image& out,
                  uint64_t max_pixels = kDefaultMaxImagePixels);

// The two codecs, for callers that already know the format (same contract as decode_image).
void decode_jpeg(const uint8_t* bytes, size_t size, const std::string& name, Image& out,
                 uint64_t max_pixels = kDefaultMaxImagePixels);
void decode_png(const uint8_t* bytes, size_t size, const std::string& name, Image& out,
                uint64_t max_pixels = kDefaultMaxImagePixels);

// The codecs' shared checks, as messages (empty when fine) so that a codec can release its own
// state before it throws: the pixel limit, and the planar buffer plus `extra` bytes allocated in
// `out` (a failed allocation becomes a message naming the file).
std::string pixel_limit_error(uint64_t width, uint64_t height, uint64_t max_pixels, const std::string& name);
std::string allocate_pixels(Image& out, int height, int width, size_t extra, const std::string& name);

}  // namespace dnntrain::data
