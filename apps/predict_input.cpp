// One decoded image seen as a one-sample Dataset, so that the evaluation transform runs unchanged:
// fixed-shape kinds see it "in memory" (resized to the model's size), image folders as a file
// (resize + centre crop).
#include "apps/predict_input.hpp"

#include "data/image_decode.hpp"
#include "engine/error.hpp"

namespace dnntrain::apps {

namespace {

class OneImage final : public data::Dataset {
 public:
  OneImage(const data::Image& image, const std::string& name, bool fixed_shape)
      : image_(image), name_(name), fixed_shape_(fixed_shape) {}
  int64_t size() const override { return 1; }
  int classes() const override { return 1; }
  int32_t label(int64_t) const override { return 0; }
  Shape shape() const override {
    return fixed_shape_ ? Shape{image_.channels, image_.height, image_.width} : Shape{};
  }
  bool in_memory() const override { return fixed_shape_; }
  Sample sample(int64_t, data::Image&) const override { return {image_.view(), 0}; }
  std::string describe(int64_t) const override { return name_; }

 private:
  const data::Image& image_;
  const std::string& name_;
  bool fixed_shape_;
};

// RGB → the model's channels: kept for 3, ITU-R 601 luma (PIL's convert("L")) for 1.
const data::Image& to_channels(const data::Image& rgb, int channels, const std::string& name,
                               data::Image& gray) {
  if (channels == 3) return rgb;
  if (channels != 1)
    throw Error(name + ": cannot feed an RGB image to a " + std::to_string(channels) + "-channel model");
  gray.resize(1, rgb.height, rgb.width);
  const size_t plane = static_cast<size_t>(rgb.height) * rgb.width;
  for (size_t i = 0; i < plane; ++i)
    gray.pixels[i] = static_cast<uint8_t>(
        (rgb.pixels[i] * 299 + rgb.pixels[plane + i] * 587 + rgb.pixels[2 * plane + i] * 114) / 1000);
  return gray;
}

}  // namespace

void image_to_input(const uint8_t* bytes, size_t size, const std::string& name, const PredictShape& shape,
                    std::vector<float>& input, PredictScratch& scratch) {
  data::decode_image(bytes, size, name, scratch.rgb, shape.max_pixels);
  const data::Image& image = to_channels(scratch.rgb, shape.channels, name, scratch.model);
  const OneImage one(image, name, shape.kind != data::DatasetKind::imagefolder);
  const data::SampleTransform transform(shape.kind, one, shape.transform, false);
  input.resize(static_cast<size_t>(transform.output_elements()));
  transform.apply(one, 0, 0, 0, input.data(), scratch.transform);
}

}  // namespace dnntrain::apps
