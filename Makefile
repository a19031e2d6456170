# learnmax: the two commands a researcher needs are `make all` and `make test` (see README.md).
.PHONY: all setup figures paper docs test
SHELL := /bin/bash
RUN = source tools/env.sh &&

all: setup figures paper

setup:
	bash tools/install.sh

figures:
	$(RUN) $${BIN}learnmax figures --profile quick

paper:
	$(RUN) $${BIN}learnmax paper

docs:   # every chapter run and rendered into _docs/ (open _docs/index.html)
	$(RUN) $${BIN}learnmax docs

test:
	bash tools/test.sh
