#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: harness self-test: a test during which the kernel crashes
# fails the run, and so does every test that never got to run.

echo c >/proc/sysrq-trigger
sleep 60
