// Plain SVG 1.1 text: each panel maps its data range to "nice" ticks (1, 2 or 5 times a power of
// ten), draws a grid, the ticks' labels and one polyline (with a dot per epoch) per series.
#include "apps/curves_svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <span>

#include "engine/checkpoint/atomic_file.hpp"
#include "engine/error.hpp"
#include "engine/utf8.hpp"

namespace dnntrain::apps {

namespace {

constexpr int kWidth = 960, kHeight = 700;
constexpr double kLegendTop = 420, kLegendRow = 22;
constexpr const char* kRunColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                       "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

// Run i's colour: the palette, then hues a golden angle apart (never the same twice for the run
// counts a chart can show), alternating two lightnesses.
std::string run_colour(size_t i) {
  if (i < std::size(kRunColours)) return kRunColours[i];
  const double hue = std::fmod(static_cast<double>(i) * 137.50776405, 360.0) / 60.0;  // in [0, 6)
  const double value = i % 2 ? 0.55 : 0.8, saturation = 0.75;
  // HSV to RGB: channel n (5 red, 3 green, 1 blue) falls from `value` where the hue is far from it.
  const auto byte = [&](double n) {
    const double k = std::fmod(n + hue, 6.0);
    return static_cast<int>(
        std::lround(255 * (value - value * saturation * std::clamp(std::min(k, 4 - k), 0.0, 1.0))));
  };
  return fmt::format("#{:02x}{:02x}{:02x}", byte(5), byte(3), byte(1));
}

struct Series {
  std::span<const double> x, y;
  std::string colour;
  bool dashed = false;
};

struct Box {
  double x, y, w, h;  // the plotting area, without the tick labels around it
};

// Text as SVG character data: well-formed UTF-8 without control characters (engine::printable_utf8
// replaces what a folder name or --title may hold otherwise), the XML specials escaped.
std::string escape(const std::string& text) {
  std::string out;
  for (char c : engine::printable_utf8(text)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Ticks covering [lo, hi] at 1, 2 or 5 × 10^k, about `target` of them; lo/hi widen to the ticks.
std::vector<double> nice_ticks(double& lo, double& hi, int target, double min_step = 0) {
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / target, power = std::pow(10, std::floor(std::log10(raw)));
  double step = power * 10;
  for (double m : {1.0, 2.0, 5.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  step = std::max(step, min_step);
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double t = lo; t <= hi + step * 1e-6; t += step) ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

void panel(std::string& svg, const Box& b, const std::string& name, const std::string& y_label,
           const std::vector<Series>& series) {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Series& s : series) {
    for (double v : s.x) x_lo = std::min(x_lo, v), x_hi = std::max(x_hi, v);
    for (double v : s.y) y_lo = std::min(y_lo, v), y_hi = std::max(y_hi, v);
  }
  const std::vector<double> x_ticks = nice_ticks(x_lo, x_hi, 8, 1), y_ticks = nice_ticks(y_lo, y_hi, 5);
  auto px = [&](double v) { return b.x + (v - x_lo) / (x_hi - x_lo) * b.w; };
  auto py = [&](double v) { return b.y + b.h - (v - y_lo) / (y_hi - y_lo) * b.h; };

  svg += fmt::format("<g class=\"panel\" id=\"{}\">\n", name);
  svg += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"14\" font-weight=\"bold\" "
      "text-anchor=\"middle\">{}</text>\n",
      b.x + b.w / 2, b.y - 10, escape(y_label));
  for (double t : y_ticks) {
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e0e0e0\"/>\n",
                       b.x, py(t), b.x + b.w, py(t));
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{:.4g}</text>\n",
                       b.x - 6, py(t) + 4, t);
  }
  for (double t : x_ticks) {
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e0e0e0\"/>\n",
                       px(t), b.y, px(t), b.y + b.h);
    svg +=
        fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"middle\">{:g}</text>\n",
                    px(t), b.y + b.h + 16, t);
  }
  svg += fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
      "stroke=\"#333\"/>\n",
      b.x, b.y, b.w, b.h);
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\" text-anchor=\"middle\">epoch</text>\n",
                     b.x + b.w / 2, b.y + b.h + 34);
  for (const Series& s : series) {
    std::string points;
    for (size_t i = 0; i < s.x.size(); ++i)
      points += fmt::format("{}{:.1f},{:.1f}", i ? " " : "", px(s.x[i]), py(s.y[i]));
    svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n", points,
                       s.colour, s.dashed ? " stroke-dasharray=\"6,4\"" : "");
    for (size_t i = 0; i < s.x.size(); ++i)
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"/>\n", px(s.x[i]),
                         py(s.y[i]), s.colour);
  }
  svg += "</g>\n";
}

struct LegendEntry {
  std::string label, colour;
  bool dashed = false;
};

void legend(std::string& svg, double x, double y, const std::vector<LegendEntry>& entries) {
  svg += "<g class=\"legend\">\n";
  for (size_t i = 0; i < entries.size(); ++i) {
    const double row = y + kLegendRow * static_cast<double>(i);
    svg += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"2\"{}/>\n",
        x, row, x + 34, row, entries[i].colour, entries[i].dashed ? " stroke-dasharray=\"6,4\"" : "");
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"12\">{}</text>\n", x + 42, row + 4,
                       escape(entries[i].label));
  }
  svg += "</g>\n";
}

}  // namespace

std::string curves_svg(const std::vector<RunSummary>& runs, const std::string& title) {
  DNNTRAIN_CHECK(!runs.empty(), "no runs to draw");
  std::vector<double> percent_storage;  // top-1 in %, kept alive for the spans below
  for (const RunSummary& r : runs) {
    DNNTRAIN_CHECK(!r.epoch.empty(), fmt::format("run '{}' has no epochs; nothing to draw", r.name));
    for (const auto* v : {&r.train_top1, &r.test_top1})
      for (double f : *v) percent_storage.push_back(100 * f);
  }
  const bool single = runs.size() == 1;
  std::vector<Series> loss, top1, lr;
  std::vector<LegendEntry> entries;
  size_t offset = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunSummary& r = runs[i];
    const std::string colour = run_colour(i);
    const std::string train_colour = single ? "#1f77b4" : colour, test_colour = single ? "#ff7f0e" : colour;
    const size_t n = r.epoch.size();
    const std::span<const double> train_pct(percent_storage.data() + offset, n),
        test_pct(percent_storage.data() + offset + n, n);
    offset += 2 * n;
    loss.push_back({r.epoch, r.train_loss, train_colour, !single});
    loss.push_back({r.epoch, r.test_loss, test_colour, false});
    top1.push_back({r.epoch, train_pct, train_colour, !single});
    top1.push_back({r.epoch, test_pct, test_colour, false});
    lr.push_back({r.epoch, r.lr, single ? "#2ca02c" : colour, false});
    if (!single)
      entries.push_back({fmt::format("{} (test {:.2f} %)", r.name, 100 * r.test_top1.back()), colour, false});
  }
  if (single) {
    entries = {{"train", "#1f77b4", false}, {"test", "#ff7f0e", false}, {"learning rate", "#2ca02c", false}};
  } else {
    entries.push_back({"train (dashed)", "#555", true});
    entries.push_back({"test (solid)", "#555", false});
  }

  // "model on dataset: options" → a bold first line and the options below it.
  const size_t colon = title.find(": ");
  const std::string headline = title.substr(0, colon),
                    details = colon == std::string::npos ? "" : title.substr(colon + 2);
  // The legend's rows (and the single run's closing line) below the top-1 panel set the height.
  const int height =
      std::max(kHeight, static_cast<int>(kLegendTop + kLegendRow * static_cast<double>(entries.size()) + 40));
  std::string svg = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"16\" font-weight=\"bold\" text-anchor=\"middle\">{3}</text>\n"
      "<text x=\"{2}\" y=\"44\" font-size=\"12\" text-anchor=\"middle\">{4}</text>\n",
      kWidth, height, kWidth / 2, escape(headline), escape(details));
  panel(svg, {70, 90, 380, 240}, "loss", "loss (cross-entropy)", loss);
  panel(svg, {550, 90, 380, 240}, "top1", "top-1 (%)", top1);
  panel(svg, {70, 410, 380, 240}, "lr", "learning rate (last step of the epoch)", lr);
  legend(svg, 560, kLegendTop, entries);
  if (single) {
    const RunSummary& r = runs.front();
    svg += fmt::format(
        "<text x=\"560\" y=\"{:.1f}\" font-size=\"12\">epoch {:g}: test top-1 {:.2f} %, test loss "
        "{:.4f}</text>\n",
        kLegendTop + kLegendRow * static_cast<double>(entries.size()) + 10, r.epoch.back(),
        100 * r.test_top1.back(), r.test_loss.back());
  }
  svg += "</svg>\n";
  return svg;
}

void write_run_curves(const std::string& dir) {
  const RunSummary run = read_run_summary(dir);
  const std::string svg = curves_svg({run}, run.title);
  engine::write_file_atomic(dir + "/curves.svg",
                            std::span(reinterpret_cast<const uint8_t*>(svg.data()), svg.size()));
}

}  // namespace dnntrain::apps
