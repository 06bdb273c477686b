#include "indexer/audio/audio_filter_graph.h"

#include <cstring>
#include <stdexcept>

#include "indexer/audio/av_audio_handles.h"

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
}

namespace palimpsest {

struct AudioFilterGraph::Impl {
  AvFilterGraphPtr graph;
  AVFilterContext* source = nullptr;  // owned by the graph
  AVFilterContext* sink = nullptr;
  int sample_rate = 0;
  int channels = 0;
  AvFramePtr output = make_av_frame();
};

AudioFilterGraph::AudioFilterGraph(int sample_rate, int channels, const std::string& chain)
    : impl_(std::make_unique<Impl>()) {
  Impl& g = *impl_;
  g.sample_rate = sample_rate;
  g.channels = channels;
  g.graph.reset(avfilter_graph_alloc());
  if (!g.graph) throw std::runtime_error("avfilter_graph_alloc failed");
  g.graph->nb_threads = 1;  // analysis filters are cheap; one thread keeps runs deterministic

  const std::string layout = ChannelLayout(channels).describe();
  const std::string source_args = "sample_rate=" + std::to_string(sample_rate) +
                                  ":sample_fmt=dbl:channel_layout=" + layout +
                                  ":time_base=1/" + std::to_string(sample_rate);
  av_check(avfilter_graph_create_filter(&g.source, avfilter_get_by_name("abuffer"), "in",
                                        source_args.c_str(), nullptr, g.graph.get()),
           "cannot create the audio source (" + source_args + ")");
  av_check(avfilter_graph_create_filter(&g.sink, avfilter_get_by_name("abuffersink"), "out", nullptr,
                                        nullptr, g.graph.get()),
           "cannot create the audio sink");

  // The chain's open ends are joined to the source ("in") and the sink ("out").
  AVFilterInOut* outputs = avfilter_inout_alloc();
  AVFilterInOut* inputs = avfilter_inout_alloc();
  if (!outputs || !inputs) {
    avfilter_inout_free(&outputs);
    avfilter_inout_free(&inputs);
    throw std::runtime_error("avfilter_inout_alloc failed");
  }
  outputs->name = av_strdup("in");
  outputs->filter_ctx = g.source;
  inputs->name = av_strdup("out");
  inputs->filter_ctx = g.sink;
  int rc = avfilter_graph_parse_ptr(g.graph.get(), chain.c_str(), &inputs, &outputs, nullptr);
  avfilter_inout_free(&outputs);
  avfilter_inout_free(&inputs);
  av_check(rc, "invalid audio filter chain \"" + chain + "\"");
  av_check(avfilter_graph_config(g.graph.get(), nullptr), "cannot configure audio filters \"" + chain + "\"");
}

AudioFilterGraph::~AudioFilterGraph() = default;

void AudioFilterGraph::push(const double* samples, int frames, std::int64_t pts) {
  Impl& g = *impl_;
  AvFramePtr frame = make_av_frame();
  frame->format = AV_SAMPLE_FMT_DBL;
  frame->sample_rate = g.sample_rate;
  av_channel_layout_default(&frame->ch_layout, g.channels);
  frame->nb_samples = frames;
  frame->pts = pts;
  av_check(av_frame_get_buffer(frame.get(), 0), "av_frame_get_buffer");
  std::memcpy(frame->data[0], samples, sizeof(double) * static_cast<std::size_t>(frames) * g.channels);
  av_check(av_buffersrc_add_frame_flags(g.source, frame.get(), 0), "sending audio to the filter graph");
}

void AudioFilterGraph::close() {
  av_check(av_buffersrc_add_frame_flags(impl_->source, nullptr, 0), "closing the filter graph");
}

bool AudioFilterGraph::pull(FilterMetadata& metadata, int& frames) {
  Impl& g = *impl_;
  const int rc = av_buffersink_get_frame(g.sink, g.output.get());
  if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return false;
  av_check(rc, "reading from the filter graph");
  metadata.clear();
  const AVDictionaryEntry* entry = nullptr;
  while ((entry = av_dict_get(g.output->metadata, "", entry, AV_DICT_IGNORE_SUFFIX))) {
    metadata.emplace_back(entry->key, entry->value);
  }
  frames = g.output->nb_samples;
  av_frame_unref(g.output.get());
  return true;
}

const std::string* find_metadata(const FilterMetadata& metadata, const std::string& key) {
  for (const auto& [k, v] : metadata) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace palimpsest
