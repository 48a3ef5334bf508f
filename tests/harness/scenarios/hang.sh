#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: harness self-test: a test that outlives TEST_TIMEOUT is killed
# and fails the run, and the next test still runs.

sleep 100000
