#pragma once
// The global closed-form denoiser: the exact posterior mean when the data distribution is the
// records themselves (a mixture of Dirac masses at y_i with weights pi_i):
//   w_i = softmax_i( log pi_i - ||x_t - sqrt(abar) y_i||^2 / (2 (1 - abar)) ),   x0 = sum_i w_i y_i.
// The distance is expanded as ||x||^2 - 2 s x.y_i + s^2 ||y_i||^2: ||x||^2 is common to every
// record and cancels, ||y_i||^2 is precomputed, so a step costs one matrix-vector product for the
// dot products and one weighted sum of records. Records are streamed in blocks with an online
// softmax (running maximum, rescaled accumulator), so each block is read from memory once per
// step: its dot products and its share of x0 are computed while it is in cache.
// Attribution: every pixel gets the same weights w.
//
// sample_ddim() runs a whole deterministic DDIM trajectory without touching pixels between the
// first and the last step. With eta = 0 every DDIM update is x' = A x + B x0 and x0 = sum_i w_i y_i,
// so x stays in the span of the start latent z and the records: x = a z + sum_i c_i y_i. The dot
// products a step needs are then x . y_j = a (z . y_j) + sum_i c_i G_ij with the Gram matrix
// G = Y Y^T (computed once per record set) and z . y_j (once per frame): O(N^2) numbers per step
// instead of O(N D) pixels. Pixels are touched twice per frame (z . Y, and the final x0).
// Internal to synth/.

#include <vector>

#include "synth/ddim_sampler.h"
#include "synth/denoiser.h"

namespace palimpsest {

class GlobalDenoiser final : public Denoiser {
 public:
  explicit GlobalDenoiser(RecordSet records);

  Prediction predict(const at::Tensor& x_t, double alpha_bar, Attribution want) override;
  void set_log_prior(const at::Tensor& log_prior) override;
  const RecordSet& records() const override { return records_; }

  // The weights of the last predict() (float64, sums to 1).
  const std::vector<double>& last_weights() const { return weights_; }

  // The same result as ddim_sample(*this, x_start, levels, 0.0, {}, final_attribution, guidance)
  // (up to float rounding), computed in coefficient space as the file comment explains. Only the
  // record-level part of `guidance` applies (clip mode leaves the span: use ddim_sample).
  SampleResult sample_ddim(const at::Tensor& x_start, const std::vector<double>& levels,
                           Attribution final_attribution, const StepGuidance* guidance = nullptr);

 private:
  RecordSet records_;
  at::Tensor flat_;                  // [N, D] view of the records
  std::vector<double> square_norms_;  // ||y_i||^2
  std::vector<double> log_prior_;
  int64_t block_ = 1;                // records per block, so that a block stays in cache
  at::Tensor products_, dots_, acc_;  // scratch
  std::vector<double> weights_;
  std::vector<double> gram_;  // N x N, row-major; empty until sample_ddim needs it

  // Softmax weights from logits, with the same negligible-weight rule as predict().
  static std::vector<double> softmax_weights(const std::vector<double>& logits);
  // dots[i] = y_i . v for a flat vector v, one record at a time (in cache while it is summed).
  std::vector<double> record_dots(const at::Tensor& v);
  Prediction make_prediction(std::vector<double> weights, int64_t height, int64_t width,
                             Attribution want);
};

}  // namespace palimpsest
