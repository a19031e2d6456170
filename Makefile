# learnmax: the two commands a researcher needs are `make all` and `make test` (see README.md).
.PHONY: all setup figures paper test
SHELL := /bin/bash
RUN = source tools/env.sh &&

all: setup figures paper

setup:
	bash tools/install.sh

figures:
	$(RUN) $${BIN}learnmax figures --profile quick

paper:
	$(RUN) $${BIN}learnmax paper

test:
	bash tools/test.sh
