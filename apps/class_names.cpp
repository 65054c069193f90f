// Published class names: Fashion-MNIST's README, CIFAR-10's batches.meta.txt, CIFAR-100's
// fine_label_names (alphabetical, as in its meta file).
#include "apps/class_names.hpp"

#include <sstream>

#include "data/image_folder.hpp"

namespace dnntrain::apps {

namespace {

const std::vector<std::string> kFashionMnist = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
const std::vector<std::string> kMnist = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
const std::vector<std::string> kCifar10 = {"airplane", "automobile", "bird",  "cat",  "deer",
                                           "dog",      "frog",       "horse", "ship", "truck"};
const std::vector<std::string> kCifar100 = {
    "apple",      "aquarium_fish", "baby",         "bear",       "beaver",      "bed",         "bee",
    "beetle",     "bicycle",       "bottle",       "bowl",       "boy",         "bridge",      "bus",
    "butterfly",  "camel",         "can",          "castle",     "caterpillar", "cattle",      "chair",
    "chimpanzee", "clock",         "cloud",        "cockroach",  "couch",       "crab",        "crocodile",
    "cup",        "dinosaur",      "dolphin",      "elephant",   "flatfish",    "forest",      "fox",
    "girl",       "hamster",       "house",        "kangaroo",   "keyboard",    "lamp",        "lawn_mower",
    "leopard",    "lion",          "lizard",       "lobster",    "man",         "maple_tree",  "motorcycle",
    "mountain",   "mouse",         "mushroom",     "oak_tree",   "orange",      "orchid",      "otter",
    "palm_tree",  "pear",          "pickup_truck", "pine_tree",  "plain",       "plate",       "poppy",
    "porcupine",  "possum",        "rabbit",       "raccoon",    "ray",         "road",        "rocket",
    "rose",       "sea",           "seal",         "shark",      "shrew",       "skunk",       "skyscraper",
    "snail",      "snake",         "spider",       "squirrel",   "streetcar",   "sunflower",   "sweet_pepper",
    "table",      "tank",          "telephone",    "television", "tiger",       "tractor",     "train",
    "trout",      "tulip",         "turtle",       "wardrobe",   "whale",       "willow_tree", "wolf",
    "woman",      "worm"};

}  // namespace

std::string class_names_text(const data::Dataset& dataset) {
  const auto* folder = dynamic_cast<const data::ImageFolderDataset*>(&dataset);
  if (folder == nullptr) return "";
  std::string text;
  for (const std::string& name : folder->class_names()) text += (text.empty() ? "" : "\n") + name;
  return text;
}

std::vector<std::string> stored_class_names(const std::map<std::string, std::string>& metadata) {
  std::vector<std::string> names;
  const auto it = metadata.find(std::string("dnntrain.extra.") + kClassNamesKey);
  if (it == metadata.end()) return names;
  std::istringstream in(it->second);
  for (std::string line; std::getline(in, line);) names.push_back(line);
  return names;
}

std::vector<std::string> class_names(const std::map<std::string, std::string>& metadata,
                                     data::DatasetKind kind, int classes) {
  std::vector<std::string> names = stored_class_names(metadata);
  if (names.empty() && kind == data::DatasetKind::fashion_mnist) names = kFashionMnist;
  if (names.empty() && kind == data::DatasetKind::mnist) names = kMnist;
  if (names.empty() && kind == data::DatasetKind::cifar10) names = kCifar10;
  if (names.empty() && kind == data::DatasetKind::cifar100) names = kCifar100;
  if (static_cast<int>(names.size()) != classes) {  // e.g. --classes differs from the dataset's
    names.clear();
    for (int i = 0; i < classes; ++i) names.push_back("class " + std::to_string(i));
  }
  return names;
}

}  // namespace dnntrain::apps
