#pragma once
// Owning handles for the libav objects only the audio engine uses (resamplers, filter graphs,
// channel layouts), in the style of indexer/media/av_handles.h, whose handles it shares.

#include <memory>
#include <string>

#include "indexer/media/av_handles.h"

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
}

namespace palimpsest {

namespace av_detail {
struct SwrContextDeleter {
  void operator()(SwrContext* context) const { swr_free(&context); }
};
struct FilterGraphDeleter {
  void operator()(AVFilterGraph* graph) const { avfilter_graph_free(&graph); }
};
}  // namespace av_detail

using SwrContextPtr = std::unique_ptr<SwrContext, av_detail::SwrContextDeleter>;
using AvFilterGraphPtr = std::unique_ptr<AVFilterGraph, av_detail::FilterGraphDeleter>;

// An AVChannelLayout value that is uninitialised on scope exit (custom layouts own memory).
class ChannelLayout {
 public:
  ChannelLayout() = default;
  explicit ChannelLayout(int channels) { av_channel_layout_default(&layout_, channels); }
  // A copy of `other`; an unspecified channel order becomes the default layout for its count,
  // which is what the resampler's rematrixing needs.
  static ChannelLayout native(const AVChannelLayout& other) {
    ChannelLayout copy;
    if (other.order == AV_CHANNEL_ORDER_NATIVE || other.order == AV_CHANNEL_ORDER_AMBISONIC) {
      av_check(av_channel_layout_copy(&copy.layout_, &other), "av_channel_layout_copy");
    } else {
      av_channel_layout_default(&copy.layout_, other.nb_channels > 0 ? other.nb_channels : 1);
    }
    return copy;
  }
  ~ChannelLayout() { av_channel_layout_uninit(&layout_); }
  ChannelLayout(const ChannelLayout& other) {
    av_check(av_channel_layout_copy(&layout_, &other.layout_), "av_channel_layout_copy");
  }
  ChannelLayout& operator=(const ChannelLayout& other) {
    if (this != &other) {
      av_channel_layout_uninit(&layout_);
      av_check(av_channel_layout_copy(&layout_, &other.layout_), "av_channel_layout_copy");
    }
    return *this;
  }
  const AVChannelLayout* get() const { return &layout_; }
  AVChannelLayout* get() { return &layout_; }
  int channels() const { return layout_.nb_channels; }
  bool operator==(const ChannelLayout& other) const {
    return av_channel_layout_compare(&layout_, &other.layout_) == 0;
  }
  // "mono", "stereo", "5.1(side)", "6 channels"...
  std::string describe() const {
    char buffer[128] = {0};
    if (av_channel_layout_describe(&layout_, buffer, sizeof(buffer)) < 0) {
      return std::to_string(layout_.nb_channels) + " channels";
    }
    return buffer;
  }

 private:
  AVChannelLayout layout_{};
};

}  // namespace palimpsest
