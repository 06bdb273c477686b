// palimpsest train [--out DIR] [--steps N] [--seed S] [--pairs N] [--json] : trains the small CLIP
// of the procedural demo domain (the embedded default, palimpsest-tiny) and writes a model folder
// that ClipEncoder::load reads.
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands/app.h"
#include "cli/commands/commands.h"
#include "cli/commands/progress.h"
#include "indexer/training/clip_trainer.h"

namespace palimpsest::cli {
namespace {

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

std::string step_text(const ClipTrainStep& s) {
  return "step " + std::to_string(s.step) + "/" + std::to_string(s.steps) + "  loss " +
         fixed(s.loss, 4) + "  temperature " + fixed(1.0 / s.logit_scale, 4) + "  lr " +
         fixed(s.learning_rate * 1e3, 3) + "e-3  " + fixed(s.pairs_per_s, 0) + " pairs/s";
}

std::string scores_text(const clip::RetrievalScores& s) {
  return "text->image R@1 " + fixed(s.text_to_image.at1, 3) + " R@5 " +
         fixed(s.text_to_image.at5, 3) + ", image->text R@1 " + fixed(s.image_to_text.at1, 3) +
         " R@5 " + fixed(s.image_to_text.at5, 3) + " (gallery " + std::to_string(s.pairs) + ")";
}

}  // namespace

void register_train(CLI::App& app, const GlobalOptions& /*globals*/, Dispatch& dispatch) {
  struct Args {
    std::string out = "data/models/palimpsest-tiny";
    ClipTrainConfig config;
    int log_every = 50;
    Args() { config.eval_every = 100; }
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "train", "Train the small CLIP of the procedural demo domain (palimpsest-tiny)");
  cmd->add_option("--out", args->out, "Model folder to write")->capture_default_str();
  cmd->add_option("--steps", args->config.steps, "Optimisation steps")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--seed", args->config.seed, "Seed of the data, initialisation and batches")
      ->capture_default_str();
  cmd->add_option("--pairs", args->config.train_pairs, "Training (image, caption) pairs rendered")
      ->capture_default_str()
      ->check(CLI::Range(2, 2000000));
  cmd->add_option("--batch", args->config.batch_size, "Pairs per batch")
      ->capture_default_str()
      ->check(CLI::Range(2, 65536));
  cmd->add_option("--eval-pairs", args->config.eval_pairs, "Pairs in each evaluation gallery")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000));
  cmd->add_option("--eval-every", args->config.eval_every,
                  "Measure retrieval every N steps (0: only at the end)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--log-every", args->log_every, "Plain progress line every N steps when piped")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_flag("--json", args->json, "Print the training report as JSON at the end");
  cmd->callback([&dispatch, args] {
    dispatch.action = [args]() -> int {
      namespace fs = std::filesystem;
      const fs::path out = args->out;
      fs::create_directories(out);
      const bool tty = ProgressLine::stderr_is_terminal();
      ProgressLine line(tty);
      // Phases and plain progress go to stderr so that --json leaves stdout to the report.
      auto say = [&](const std::string& text) {
        line.clear();
        std::cerr << text << "\n";
      };

      if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
        // libgomp's idle threads spin for a while before sleeping; on a machine whose cores are
        // busy with other work that spinning takes the time the other thread needs (measured 3-4x
        // slower here). It is read when the library loads, so only the environment can set it.
        say("note: OMP_WAIT_POLICY=passive in the environment trains faster when other work "
            "shares the cores");
      }
      ClipTrainer trainer(args->config, out, say);
      const ClipTrainReport& report = trainer.report();
      say("model " + report.architecture + ", " + std::to_string(report.parameters) +
          " parameters, " + std::to_string(report.vocab_size) + " tokenizer pieces, " +
          std::to_string(report.threads) + " threads, blas " + report.blas);
      trainer.train([&](const ClipTrainStep& s) {
        if (tty) {
          line.update(progress_bar(static_cast<double>(s.step) / s.steps) + " " + step_text(s) +
                          "  ETA " + format_duration(s.eta_s),
                      s.step == s.steps);
        } else if (s.step % args->log_every == 0 || s.step == s.steps) {
          std::cerr << step_text(s) << "  elapsed " << format_duration(s.elapsed_s) << "  ETA "
                    << format_duration(s.eta_s) << "\n";
        }
        if (!report.curve.empty() && report.curve.back().step == s.step) {
          say("  step " + std::to_string(s.step) + " held-out: " +
              scores_text(report.curve.back().held_out));
        }
      });
      line.clear();
      trainer.evaluate();
      trainer.save(out);

      if (args->json) {
        std::cout << training_report_json(report) << "\n";
        return kExitOk;
      }
      std::cout << "trained " << report.config.name << " in "
                << format_duration(report.tokenizer_seconds + report.data_seconds +
                                   report.train_seconds + report.eval_seconds)
                << " (" << report.steps_done << " steps, final loss " << fixed(report.final_loss, 4)
                << ")\n"
                << "  held-out (unseen combinations): " << scores_text(report.held_out) << "\n"
                << "  seen-combination validation:    " << scores_text(report.seen) << "\n"
                << "  held-out rendered at 128 px:    " << scores_text(report.held_out_128px)
                << "\n"
                << "wrote " << (out / "model.safetensors").string() << ", model.json, "
                << "tokenizer.model, training_report.json\n";
      return kExitOk;
    };
  });
}

}  // namespace palimpsest::cli
