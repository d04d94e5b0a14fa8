#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/netns/nat.sh with grants = nft: rules/ckq.nft, no ipset.
CKQ_GRANTS=nft exec bash "$(dirname "$0")/../nat.sh" "$@"
