// Image folders and decoding: JPEG via libjpeg-turbo and PNG via libpng on files written here
// (RGB, grayscale, CMYK, RGBA, a PNG named .jpg), torchvision's class order, and every bad input.
#include "data/image_folder.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <cstdlib>

#include "data/image_decode.hpp"
#include "data/sample_transform.hpp"
#include "engine/error.hpp"
#include "tests/data/expect_error.hpp"
#include "tests/data/test_files.hpp"

using namespace dnntrain::data;
using namespace dnntrain::data::test;
namespace fs = std::filesystem;

namespace {

Image decode_file(const fs::path& file) {
  const auto bytes = read_bytes(file);
  Image img;
  decode_image(bytes.data(), bytes.size(), file.string(), img);
  return img;
}

// Max |decoded - expected| over the image, for planar RGB expectations of a flat colour.
int max_error(const Image& img, const std::vector<int>& rgb) {
  int worst = 0;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        worst = std::max(
            worst, std::abs(int(img.pixels[(size_t(c) * img.height + y) * img.width + x]) - rgb[size_t(c)]));
  return worst;
}

// The Error of the evaluation transform (Resize(resize_size), CentreCrop(crop_size)) on val sample 0.
std::string eval_transform_error(const fs::path& root, int resize_size, int crop_size) {
  ImageFolderDataset ds(root, Split::test);
  TransformSettings settings;
  settings.resize_size = resize_size;
  settings.crop_size = crop_size;
  SampleTransform t(DatasetKind::imagefolder, ds, settings, false);
  std::vector<float> out(size_t(t.output_elements()));
  SampleTransform::Scratch scratch;
  return error_of([&] { t.apply(ds, 0, 0, 0, out.data(), scratch); });
}

}  // namespace

TEST_CASE("decode: PNG RGB, gray and RGBA are exact, alpha dropped") {
  TempDir tmp;
  std::vector<uint8_t> rgb;
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x)
      rgb.insert(rgb.end(), {uint8_t(10 * x), uint8_t(50 + y), uint8_t(200 + x + y)});
  write_png(tmp.path() / "a.png", 4, 3, kPngRgb, rgb);
  const Image a = decode_file(tmp.path() / "a.png");
  REQUIRE(a.channels == 3);
  REQUIRE(a.height == 3);
  REQUIRE(a.width == 4);
  CHECK(a.pixels[0 * 12 + 1 * 4 + 3] == 30);   // R(y=1, x=3)
  CHECK(a.pixels[1 * 12 + 2 * 4 + 0] == 52);   // G(y=2, x=0)
  CHECK(a.pixels[2 * 12 + 2 * 4 + 3] == 205);  // B(y=2, x=3)

  write_png(tmp.path() / "g.png", 2, 1, kPngGray, {17, 240});
  const Image g = decode_file(tmp.path() / "g.png");
  CHECK(g.pixels == std::vector<uint8_t>{17, 240, 17, 240, 17, 240});

  write_png(tmp.path() / "rgba.png", 1, 1, kPngRgba, {1, 2, 3, 0});
  CHECK(decode_file(tmp.path() / "rgba.png").pixels == std::vector<uint8_t>{1, 2, 3});
}

TEST_CASE("decode: JPEG RGB, grayscale and Adobe CMYK") {
  TempDir tmp;
  write_jpeg(tmp.path() / "rgb.jpg", 16, 16, 3, flat(16, 16, {200, 100, 50}));
  const Image rgb = decode_file(tmp.path() / "rgb.jpg");
  CHECK(rgb.height == 16);
  CHECK(max_error(rgb, {200, 100, 50}) <= 2);

  write_jpeg(tmp.path() / "gray.jpg", 8, 8, 1, flat(8, 8, {77}));
  const Image gray = decode_file(tmp.path() / "gray.jpg");
  CHECK(gray.channels == 3);
  CHECK(max_error(gray, {77, 77, 77}) <= 1);

  // Adobe CMYK as Photoshop writes it (inverted ink): PIL gives R = C*K/255 for the stored bytes.
  write_jpeg(tmp.path() / "cmyk.jpg", 8, 8, 4, flat(8, 8, {255, 128, 0, 200}));
  const Image cmyk = decode_file(tmp.path() / "cmyk.jpg");
  CHECK(max_error(cmyk, {200, 100, 0}) <= 3);  // 255*200/255, 128*200/255 = 100.4, 0
}

TEST_CASE("decode: format comes from the bytes, not the extension") {
  TempDir tmp;
  write_png(tmp.path() / "really_png.jpg", 1, 1, kPngRgb, {9, 8, 7});
  CHECK(decode_file(tmp.path() / "really_png.jpg").pixels == std::vector<uint8_t>{9, 8, 7});
  const auto bytes = read_bytes(tmp.path() / "really_png.jpg");
  CHECK(sniff_image_format(bytes.data(), bytes.size()) == ImageFormat::png);
}

TEST_CASE("decode: corrupt, truncated and unsupported images throw naming the file") {
  TempDir tmp;
  write_jpeg(tmp.path() / "ok.jpg", 32, 32, 3, flat(32, 32, {1, 2, 3}));
  auto jpeg = read_bytes(tmp.path() / "ok.jpg");
  std::vector<uint8_t> truncated(jpeg.begin(), jpeg.begin() + static_cast<long>(jpeg.size() / 2));
  write_bytes(tmp.path() / "truncated.jpg", truncated);
  std::vector<uint8_t> garbage = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x13, 0x37, 0x00, 0x00};
  write_bytes(tmp.path() / "garbage.jpg", garbage);
  write_bytes(tmp.path() / "bitmap.bmp", {'B', 'M', 0, 0, 0, 0});
  write_png(tmp.path() / "ok.png", 8, 8, kPngRgb, flat(8, 8, {5, 5, 5}));
  auto png = read_bytes(tmp.path() / "ok.png");
  png.resize(png.size() - 20);
  write_bytes(tmp.path() / "truncated.png", png);
  for (const char* name : {"truncated.jpg", "garbage.jpg", "bitmap.bmp", "truncated.png"}) {
    CAPTURE(name);
    CHECK(error_of([&] { decode_file(tmp.path() / name); }).find(name) != std::string::npos);
  }
}

TEST_CASE("image folder: sorted classes, recursive sorted files, torchvision extensions") {
  TempDir tmp;
  const fs::path train = tmp.path() / "train";
  write_png(train / "dog" / "b.png", 2, 2, kPngRgb, flat(2, 2, {2, 2, 2}));
  write_png(train / "dog" / "a.PNG", 2, 2, kPngRgb, flat(2, 2, {1, 1, 1}));
  write_png(train / "ant" / "sub" / "z.jpg", 2, 2, kPngRgb, flat(2, 2, {3, 3, 3}));  // a PNG named .jpg
  write_jpeg(train / "ant" / "y.JPEG", 8, 8, 3, flat(8, 8, {90, 90, 90}));
  write_bytes(train / "ant" / "notes.txt", {'x'});
  write_png(train / "Zebra" / "q.png", 2, 2, kPngGray, flat(2, 2, {4}));
  ImageFolderDataset ds(tmp.path(), Split::train);
  CHECK(ds.class_names() == std::vector<std::string>{"Zebra", "ant", "dog"});  // code-point order
  REQUIRE(ds.size() == 5);
  const std::vector<std::string> names = {"q.png", "y.JPEG", "z.jpg", "a.PNG", "b.png"};
  const std::vector<int32_t> labels = {0, 1, 1, 2, 2};
  for (int64_t i = 0; i < 5; ++i) {
    CHECK(ds.files()[size_t(i)].filename() == names[size_t(i)]);
    CHECK(ds.label(i) == labels[size_t(i)]);
  }
  Image scratch;
  const auto s = ds.sample(2, scratch);  // the PNG named .jpg
  CHECK(s.label == 1);
  CHECK(s.image.row(2, 1)[1] == 3);
  const auto q = ds.sample(0, scratch);  // grayscale -> RGB
  CHECK(q.image.channels == 3);
  CHECK(q.image.row(1, 0)[0] == 4);
}

TEST_CASE("image folder: missing root, missing split, empty split, empty class folder") {
  TempDir tmp;
  CHECK(error_of([&] { ImageFolderDataset(tmp.path() / "none", Split::train); }).find("none") !=
        std::string::npos);
  write_png(tmp.path() / "train" / "a" / "x.png", 1, 1, kPngRgb, {1, 2, 3});
  CHECK(error_of([&] { ImageFolderDataset(tmp.path(), Split::test); }).find("val") != std::string::npos);
  fs::create_directories(tmp.path() / "val");
  CHECK(error_of([&] { ImageFolderDataset(tmp.path(), Split::test); }).find("val") != std::string::npos);
  fs::create_directories(tmp.path() / "train" / "b");
  write_bytes(tmp.path() / "train" / "b" / "readme.txt", {'x'});
  const std::string msg = error_of([&] { ImageFolderDataset(tmp.path(), Split::train); });
  CHECK(msg.find((tmp.path() / "train" / "b").string()) != std::string::npos);
  CHECK(msg.find("empty class folder") != std::string::npos);
}

TEST_CASE("image folder: a corrupt image throws naming it, or is skipped and counted") {
  TempDir tmp;
  write_png(tmp.path() / "train" / "a" / "1.png", 1, 1, kPngRgb, {10, 10, 10});
  write_bytes(tmp.path() / "train" / "a" / "2.jpg", {0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x00});
  write_png(tmp.path() / "train" / "b" / "3.png", 1, 1, kPngRgb, {30, 30, 30});
  Image scratch;
  {
    ImageFolderDataset ds(tmp.path(), Split::train);
    CHECK(error_of([&] { ds.sample(1, scratch); }).find("2.jpg") != std::string::npos);
  }
  ImageFolderDataset ds(tmp.path(), Split::train, {.skip_bad_images = true});
  const auto s = ds.sample(1, scratch);  // replaced by the next readable file, 3.png, with its label
  CHECK(s.label == 1);
  CHECK(s.image.row(0, 0)[0] == 30);
  ds.sample(1, scratch);
  CHECK(ds.bad_images() == 1);  // distinct files
  REQUIRE(ds.bad_image_messages().size() == 1);
  CHECK(ds.bad_image_messages()[0].find("2.jpg") != std::string::npos);
}

TEST_CASE("image folder: a bad image is tried once per run, not again for every sample after it") {
  TempDir tmp;
  write_bytes(tmp.path() / "train" / "a" / "1.png", {});
  write_png(tmp.path() / "train" / "b" / "2.png", 1, 1, kPngRgb, {30, 30, 30});
  Image scratch;
  ImageFolderDataset ds(tmp.path(), Split::train, {.skip_bad_images = true});
  CHECK(ds.sample(0, scratch).label == 1);
  // The file now holds a good image: a second try would read it. Known bad, it is not read again.
  write_png(tmp.path() / "train" / "a" / "1.png", 1, 1, kPngRgb, {10, 10, 10});
  CHECK(ds.sample(0, scratch).label == 1);
  CHECK(ds.bad_images() == 1);
}

TEST_CASE("image folder: a class folder name that is not UTF-8 text is refused, naming the folder") {
  for (const std::string& name : {std::string("\xff\xfe"), std::string("a\nb"), std::string("tab\there")}) {
    TempDir tmp;
    write_png(tmp.path() / "train" / name / "1.png", 1, 1, kPngRgb, {10, 10, 10});
    const std::string error = error_of([&] { ImageFolderDataset(tmp.path(), Split::train); });
    CHECK(error.find((tmp.path() / "train").string()) != std::string::npos);
    CHECK(error.find("class folder's name") != std::string::npos);
  }
}

TEST_CASE("image folder: an image smaller than the crop throws naming the file") {
  TempDir tmp;
  write_png(tmp.path() / "val" / "a" / "small.png", 20, 10, kPngRgb, flat(20, 10, {1, 2, 3}));
  const std::string msg = eval_transform_error(tmp.path(), 16, 32);  // shorter side 16 < crop 32
  CHECK(msg.find("small.png") != std::string::npos);
  CHECK(msg.find("smaller than the crop") != std::string::npos);
}

TEST_CASE("image folder: val classes take train's indices by name, and an unknown val class is an error") {
  TempDir tmp;
  write_png(tmp.path() / "train" / "cat" / "1.png", 1, 1, kPngRgb, {1, 1, 1});
  write_png(tmp.path() / "train" / "dog" / "2.png", 1, 1, kPngRgb, {2, 2, 2});
  write_png(tmp.path() / "val" / "dog" / "3.png", 1, 1, kPngRgb, {3, 3, 3});
  ImageFolderDataset val(tmp.path(), Split::test);
  CHECK(val.class_names() == std::vector<std::string>{"cat", "dog"});
  CHECK(val.classes() == 2);
  REQUIRE(val.size() == 1);
  CHECK(val.label(0) == 1);  // dog is train's class 1, though it is val's only folder
  Image scratch;
  CHECK(val.sample(0, scratch).label == 1);

  write_png(tmp.path() / "val" / "cow" / "4.png", 1, 1, kPngRgb, {4, 4, 4});
  const std::string msg = error_of([&] { ImageFolderDataset(tmp.path(), Split::test); });
  CHECK(msg.find((tmp.path() / "val" / "cow").string()) != std::string::npos);
  CHECK(msg.find("train") != std::string::npos);
  // Without a train folder, val's own folders are the classes.
  fs::remove_all(tmp.path() / "train");
  CHECK(ImageFolderDataset(tmp.path(), Split::test).class_names() == std::vector<std::string>{"cow", "dog"});
}

TEST_CASE("decode: images above the pixel limit are refused from the header, naming the file") {
  TempDir tmp;
  // A few hundred bytes declaring 30000x30000 (PIL's limit is 89,478,485 pixels).
  const std::vector<uint8_t> png = png_claiming(30000, 30000);
  CHECK(png.size() < 1000);
  write_jpeg(tmp.path() / "small.jpg", 16, 16, 3, flat(16, 16, {9, 9, 9}));
  const std::vector<uint8_t> jpeg = jpeg_claiming(read_bytes(tmp.path() / "small.jpg"), 65500, 65500);
  Image img;
  for (const auto& [name, bytes] : {std::pair{"huge.png", png}, std::pair{"huge.jpg", jpeg}}) {
    CAPTURE(name);
    const std::string msg = error_of([&] { decode_image(bytes.data(), bytes.size(), name, img); });
    CHECK(msg.find(name) != std::string::npos);
    CHECK(msg.find("more than the limit of 89478485") != std::string::npos);
  }
  // The limit is the caller's: a real 16x16 JPEG and 8x8 PNG against 100 and 64 pixels.
  const auto small = read_bytes(tmp.path() / "small.jpg");
  CHECK(error_of([&] {
          decode_image(small.data(), small.size(), "small.jpg", img, 255);
        }).find("16x16 = 256 pixels") != std::string::npos);
  decode_image(small.data(), small.size(), "small.jpg", img, 256);
  CHECK(img.width == 16);
  write_png(tmp.path() / "p.png", 8, 8, kPngRgb, flat(8, 8, {1, 2, 3}));
  const auto p = read_bytes(tmp.path() / "p.png");
  CHECK(error_of([&] { decode_image(p.data(), p.size(), "p.png", img, 63); }).find("p.png") !=
        std::string::npos);
  decode_image(p.data(), p.size(), "p.png", img, 64);
  CHECK(img.height == 8);
}

TEST_CASE("image folder: an image above the pixel limit is a bad image: skipped and reported") {
  TempDir tmp;
  write_png(tmp.path() / "train" / "a" / "1.png", 1, 1, kPngRgb, {10, 10, 10});
  write_bytes(tmp.path() / "train" / "a" / "2.png", png_claiming(30000, 30000));
  write_png(tmp.path() / "train" / "b" / "3.png", 1, 1, kPngRgb, {30, 30, 30});
  Image scratch;
  {
    ImageFolderDataset ds(tmp.path(), Split::train);
    CHECK(error_of([&] { ds.sample(1, scratch); }).find("2.png: 30000x30000") != std::string::npos);
    CHECK(skipped_images_report(ds).empty());
  }
  ImageFolderDataset ds(tmp.path(), Split::train, {.skip_bad_images = true});
  CHECK(skipped_images_report(ds).empty());
  CHECK(ds.sample(1, scratch).image.row(0, 0)[0] == 30);  // replaced by 3.png
  CHECK(ds.bad_images() == 1);
  const std::string report = skipped_images_report(ds);
  CHECK(report.find("skipped 1 unreadable images") != std::string::npos);
  CHECK(report.find("2.png") != std::string::npos);
}

TEST_CASE("image folder: a file that became a FIFO after listing fails instead of blocking") {
  TempDir tmp;
  write_png(tmp.path() / "train" / "a" / "1.png", 1, 1, kPngRgb, {10, 10, 10});
  ImageFolderDataset ds(tmp.path(), Split::train);
  fs::remove(tmp.path() / "train" / "a" / "1.png");
  make_fifo(tmp.path() / "train" / "a" / "1.png");
  Image scratch;
  CHECK(error_of([&] { ds.sample(0, scratch); }).find("1.png: not a regular file") != std::string::npos);
}

TEST_CASE(
    "image folder: a thin image that would resize to gigabytes before the centre crop throws naming it") {
  TempDir tmp;
  // 4000x1 resizes to 256x1,024,000 (262 million pixels) for Resize(256); the crop needs 224x224.
  write_jpeg(tmp.path() / "val" / "a" / "thin.jpg", 4000, 1, 3, flat(4000, 1, {1, 2, 3}));
  const std::string msg = eval_transform_error(tmp.path(), 256, 224);
  CHECK(msg.find("thin.jpg") != std::string::npos);
  CHECK(msg.find("aspect ratio") != std::string::npos);
}

#if !defined(__SANITIZE_ADDRESS__)  // ASan reserves terabytes of address space: no RLIMIT_AS under it
TEST_CASE("decode: running out of memory for the pixels is an Error naming the file") {
  // No pixel limit and 2 GiB of address space: the 30000x30000 claim's 5.4 GB buffer cannot exist.
  rlimit old{};
  REQUIRE(getrlimit(RLIMIT_AS, &old) == 0);
  rlimit low = old;
  low.rlim_cur = rlim_t{2} << 30;
  REQUIRE(setrlimit(RLIMIT_AS, &low) == 0);
  const std::vector<uint8_t> png = png_claiming(30000, 30000);
  Image img;
  std::string msg;
  try {
    decode_image(png.data(), png.size(), "huge.png", img, 0);
  } catch (const dnntrain::Error& e) {
    msg = e.what();
  } catch (const std::bad_alloc&) {
    msg = "std::bad_alloc";
  }
  setrlimit(RLIMIT_AS, &old);
  CHECK(msg.find("huge.png: out of memory for 30000x30000 pixels") != std::string::npos);
}
#endif
