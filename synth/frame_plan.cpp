#include "synth/frame_plan.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace palimpsest {

void validate_plans(const std::vector<FramePlan>& plans) {
  for (size_t i = 0; i < plans.size(); ++i) {
    const FramePlan& plan = plans[i];
    const std::string where = "frame " + std::to_string(plan.frame) + ": ";
    if (i > 0 && plan.frame != plans[i - 1].frame + 1) {
      throw std::invalid_argument(where + "plans must have consecutive frame numbers");
    }
    if (plan.records.empty() && i > 0 && !plan.restart)
      throw std::invalid_argument(where + "no records, and not the start of a sequence");
    double positive = plan.records.empty() ? 1.0 : 0.0;  // no pictures: drawn from its init
    for (const RecordPrior& r : plan.records) {
      if (!(r.prior >= 0.0) || !std::isfinite(r.prior)) {
        throw std::invalid_argument(where + "record priors must be finite and >= 0");
      }
      positive += r.prior;
    }
    if (!(positive > 0.0)) throw std::invalid_argument(where + "no record has a positive prior");
    const FrameParams& p = plan.params;
    if (p.steps < 1 || p.steps > 1000) {
      throw std::invalid_argument(where + "steps must be in [1, 1000]");
    }
    if (!(p.strength > 0.0 && p.strength <= 1.0)) {
      throw std::invalid_argument(where + "strength must be in (0, 1]");
    }
    if (p.cadence < 1) throw std::invalid_argument(where + "cadence must be >= 1");
    if (!(p.noise >= 0.0)) throw std::invalid_argument(where + "noise must be >= 0");
    if (plan.blend && !(plan.blend->mix >= 0.0 && plan.blend->mix <= 1.0)) {
      throw std::invalid_argument(where + "blend mix must be in [0, 1]");
    }
    if (!(plan.guidance_scale >= 0.0) || !std::isfinite(plan.guidance_scale)) {
      throw std::invalid_argument(where + "the guidance ratio must be finite and >= 0");
    }
    if (p.abstraction && !(*p.abstraction >= 0.0 && *p.abstraction <= 1.0)) {
      throw std::invalid_argument(where + "abstraction must be in [0, 1]");
    }
    for (const RecordPrior& r : plan.records) {
      if (!std::isfinite(r.language)) throw std::invalid_argument(where + "language scores must be finite");
      if (r.record_id == kLanguageRecord) throw std::invalid_argument(where + "record id 0 stands for language");
    }
  }
}

}  // namespace palimpsest
