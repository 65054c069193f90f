// Image decoding for image folders: JPEG (libjpeg-turbo) and PNG (libpng), chosen by the file's
// magic bytes, never its extension; every image comes out as planar RGB. Codec errors never exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "data/image.hpp"

namespace dnntrain::data {

enum class ImageFormat { jpeg, png, unknown };

// JPEG starts FF D8 FF; PNG starts 89 'P' 'N' 'G' 0D 0A 1A 0A.
ImageFormat sniff_image_format(const uint8_t* bytes, size_t size);

// Decodes `size` bytes into `out` as 3xHxW RGB. Grayscale is replicated, CMYK/YCCK converted as PIL
// does (Adobe-inverted CMYK: R = C*K/255), alpha dropped (PIL's RGBA->RGB), 16-bit PNG reduced to 8.
// Throws dnntrain::Error naming `name` for a corrupt, truncated or unsupported image.
void decode_image(const uint8_t* bytes, size_t size, const std::string& name, Image& out);

// The two codecs, for callers that already know the format (same contract as decode_image).
void decode_jpeg(const uint8_t* bytes, size_t size, const std::string& name, Image& out);
void decode_png(const uint8_t* bytes, size_t size, const std::string& name, Image& out);

}  // namespace dnntrain::data
