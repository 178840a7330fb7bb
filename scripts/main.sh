#!/usr/bin/env bash
# The main job: set up .venv, train the default model on data/, evaluate it against baselines on the test split,
# the seed articles and real-dev (../shared/real-dev, when present), tag the five articles in seeds/, and write an
# HTML view of those predictions with a screenshot of it taken in headless Chromium.
# Everything lands in a new run directory runs/default-<time>; nothing earlier is overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1
ST=.venv/bin/sourcetag
RUN=${RUN:-runs/default-$(date +%Y%m%d-%H%M%S)}
start=$(date +%s)

echo "== validating the corpus"
.venv/bin/python data/prepare.py check

echo "== training the default model into $RUN/model"
$ST train --output-dir "$RUN/model" --make-default
trained=$(date +%s)

echo "== evaluating on the corpus test split"
$ST evaluate --model "$RUN/model" --data data/test.jsonl --report "$RUN/report-test"
echo "== evaluating on the five seed articles (real pages, never trained on)"
$ST evaluate --model "$RUN/model" --data data/seeds.jsonl --report "$RUN/report-seeds"
REAL_DEV=../shared/real-dev/gold.jsonl
if [ -f "$REAL_DEV" ]; then
  echo "== evaluating on real-dev ($REAL_DEV: 16 labelled real pages, measurement only, never trained on)"
  $ST evaluate --model "$RUN/model" --data "$REAL_DEV" --report "$RUN/report-realdev"
fi

if [ -f eval/results/ablation.md ]; then
  echo "== adding the project's ablation table (eval/results/ablation.md) to the model card and the reports"
  .venv/bin/python -m sourcetag.eval.ablation --table eval/results/ablation.md \
    --title "Ablation (measured by the project; seeds per row in the table; see eval/results/ablation.md)" \
    --card "$RUN/model" --report "$RUN/report-test" --report "$RUN/report-seeds" \
    $([ -d "$RUN/report-realdev" ] && echo --report "$RUN/report-realdev") > /dev/null
fi

echo "== tagging seeds/"
$ST predict --model "$RUN/model" seeds/ -o "$RUN/seeds-predictions.jsonl" --profile "$RUN/seeds-profile.jsonl"
echo "== HTML view of the seed predictions, opened in headless Chromium for its screenshot"
$ST view "$RUN/seeds-predictions.jsonl" -o "$RUN/seeds-view.html" --screenshot "$RUN/seeds-view.png"

end=$(date +%s)
cat <<MSG

Done in $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s (training $(( (trained - start) / 60 )) min).
  trained model:      $(cd "$RUN/model" && pwd) (now the default for 'sourcetag predict' and 'sourcetag evaluate')
  evaluation reports: $RUN/report-test/report.md, $RUN/report-seeds/report.md, $RUN/report-realdev/report.md
  seed predictions:   $RUN/seeds-predictions.jsonl (profiles: $RUN/seeds-profile.jsonl)
  seed articles view: $RUN/seeds-view.html (open it in a browser; screenshot: $RUN/seeds-view.png)
MSG
