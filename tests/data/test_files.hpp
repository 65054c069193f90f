// Writers for the data tests: CIFAR records, IDX (raw and gzip), JPEG through libjpeg and PNG
// through libpng, so readers are checked against files made by a different program than ours.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dnntrain::data::test {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write_bytes(const std::filesystem::path& file, const std::vector<uint8_t>& bytes);
void write_gzip(const std::filesystem::path& file, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> read_bytes(const std::filesystem::path& file);

// An IDX u8 file: 00 00 08 ndim, big-endian dims, payload.
std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& payload);

// `count` CIFAR records; record i has label(s) `labels[i]` (1 or 2 bytes) and pixels (i + k) & 255.
std::vector<uint8_t> cifar_records(const std::vector<std::vector<uint8_t>>& labels);

// JPEG from interleaved pixels with `components` 1 (gray), 3 (RGB) or 4 (CMYK, Adobe marker).
void write_jpeg(const std::filesystem::path& file, int width, int height, int components,
                const std::vector<uint8_t>& interleaved, int quality = 100);
// PNG from interleaved 8-bit pixels; color_type is a PNG_COLOR_TYPE_* value.
void write_png(const std::filesystem::path& file, int width, int height, int color_type,
               const std::vector<uint8_t>& interleaved);
// libpng's color type constants, so tests need not include png.h.
inline constexpr int kPngGray = 0, kPngRgb = 2, kPngRgba = 6;

// A gzip file of `prefix` then `zeros` zero bytes: a decompression bomb (about 1000:1), written as
// concatenated gzip members of 16 MiB of zeros so that making a gigabyte of it costs little.
void write_gzip_bomb(const std::filesystem::path& file, const std::vector<uint8_t>& prefix, uint64_t zeros);

// A PNG whose IHDR declares width x height RGB and whose one IDAT holds a single row: a few hundred
// bytes that claim a huge image.
std::vector<uint8_t> png_claiming(uint32_t width, uint32_t height);
// `jpeg` (a baseline JPEG from write_jpeg) with its SOF0 frame size rewritten to width x height.
std::vector<uint8_t> jpeg_claiming(std::vector<uint8_t> jpeg, uint16_t width, uint16_t height);

// Creates a FIFO at `file` (nothing ever writes to it: opening it for reading would block).
void make_fifo(const std::filesystem::path& file);

// Peak resident memory of this process so far, in MiB (each doctest case runs in its own process).
int64_t peak_rss_mib();

// A flat-colour interleaved image of `components` channels.
std::vector<uint8_t> flat(int width, int height, const std::vector<uint8_t>& colour);

}  // namespace dnntrain::data::test
