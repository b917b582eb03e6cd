#!/usr/bin/env bash
# test_s3_faults.sh against the second, lenient S3 implementation (npm
# s3rver, CAIRN_TEST_S3RVER_* from scripts/s3-test-server.sh; skipped without
# it). s3rver accepts any secret, so the wrong-secret check is skipped there.
export CAIRN_TEST_S3_TARGET=s3rver
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_s3_faults.sh"
