#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interoperability with tpm2-tools both ways: gwverifier accepts quotes made by
# tpm2_quote (RSA and ECC AKs, RSASSA/RSAPSS/ECDSA), tpm2_checkquote accepts ours.
# shellcheck source=swtpm-tests/lib.sh
source "$(dirname "$0")/lib.sh"
require_cmd tpm2_createek tpm2_createak tpm2_quote tpm2_checkquote tpm2_flushcontext

swtpm_start || exit 1
cd "$GW_TMP" || exit 1
expect_exit -n tpm2-createek 0 tpm2_createek -c ek.ctx -G rsa -u ek.pub
# (An RSAPSS AK is not tested: swtpm 0.7 refuses TPM2_Quote with it.)
for variant in rsa:rsassa ecc:ecdsa; do
  alg=${variant%%:*} scheme=${variant#*:}
  expect_exit -n "tpm2-createak-$scheme" 0 tpm2_createak -C ek.ctx -c "ak-$scheme.ctx" -G "$alg" -g sha256 \
    -s "$scheme" -u "ak-$scheme.pub" -f pem -n "ak-$scheme.name"
  tpm2_flushcontext -t >/dev/null 2>&1
  nonce=$(gw_nonce)
  expect_exit -n "tpm2-quote-$scheme" 0 tpm2_quote -c "ak-$scheme.ctx" -l sha256:0,1,2,13+sha1:13 -q "$nonce" \
    -m "q-$scheme.msg" -s "q-$scheme.sig" -o "q-$scheme.pcrs" -g sha256
  tpm2_flushcontext -t >/dev/null 2>&1
  expect_exit -n "gwverifier-accepts-tpm2-quote-$scheme" 0 gwverifier check-quote --ak "ak-$scheme.pub" \
    --nonce "$nonce" --message "q-$scheme.msg" --signature "q-$scheme.sig" --pcrs "q-$scheme.pcrs" \
    --select sha256:0,1,2,13+sha1:13
  expect_exit -n "gwverifier-refuses-wrong-nonce-$scheme" 13 gwverifier check-quote --ak "ak-$scheme.pub" \
    --nonce "$(gw_nonce)" --message "q-$scheme.msg" --signature "q-$scheme.sig" --pcrs "q-$scheme.pcrs"
  cp "q-$scheme.msg" "bad-$scheme.msg"
  # Byte 40 (in the signer's name) XOR 1: always a change, whatever it was.
  byte=$(od -An -tu1 -j40 -N1 "q-$scheme.msg" | tr -d ' ')
  # shellcheck disable=SC2059 # the format is the escaped byte
  printf "\\x$(printf %02x $((byte ^ 1)))" | dd of="bad-$scheme.msg" bs=1 seek=40 conv=notrunc status=none
  expect_eq "altered-message-differs-$scheme" "$(cmp -l "q-$scheme.msg" "bad-$scheme.msg" | awk '{print $1}')" 41
  expect_exit -n "gwverifier-refuses-altered-message-$scheme" 10 gwverifier check-quote --ak "ak-$scheme.pub" \
    --nonce "$nonce" --message "bad-$scheme.msg" --signature "q-$scheme.sig"
done

# An unrestricted signing key could sign a forged TPMS_ATTEST: refused as an AK.
tpm2_createprimary -C o -c prim.ctx -Q >/dev/null 2>&1
if expect_exit -n tpm2-create-unrestricted-key 0 tpm2_create -C prim.ctx -G ecc -u unr.pub -r unr.priv \
  -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign'; then
  expect_exit -n unrestricted-ak-refused 19 gwverifier check-quote --ak unr.pub --nonce "$nonce" \
    --message q-ecdsa.msg --signature q-ecdsa.sig
  expect_output_contains -n unrestricted-ak-named 'not a restricted, fixedTPM signing key'
fi
tpm2_flushcontext -t >/dev/null 2>&1

# A TPM2_Certify structure (TPM_ST_ATTEST_CERTIFY) genuinely signed by the same AK
# must not pass as a quote: the type check (tpm2-tools once accepted such
# structures as quotes).
if expect_exit -n tpm2-certify 0 tpm2_certify -c ak-ecdsa.ctx -C ak-ecdsa.ctx -g sha256 -o cert.msg -s cert.sig; then
  expect_exit -n certify-structure-refused-as-quote 12 gwverifier check-quote --ak ak-ecdsa.pub \
    --nonce 00 --message cert.msg --signature cert.sig
  expect_output_contains -n certify-structure-named 'type'
fi
tpm2_flushcontext -t >/dev/null 2>&1

# The other way: tpm2_checkquote accepts gwagent's quote, for a sha1 bank too.
state=$GW_TMP/state
expect_exit -n gwagent-provision 0 gwagent --state-dir "$state" provision
nonce=$(gw_nonce)
expect_exit -n gwagent-quote 0 gwagent --state-dir "$state" quote --nonce "$nonce" --pcrs sha256:0-7,13,14+sha1:13 --out q
check tpm2-checkquote-accepts-gwagent tpm2_checkquote -u q/ak.pem -m q/quote.msg -s q/quote.sig -f q/quote.pcrs -g sha256 -q "$nonce"
check tpm2-checkquote-accepts-tss-ak tpm2_checkquote -u "$state/ak.pub" -m q/quote.msg -s q/quote.sig -f q/quote.pcrs -g sha256 -q "$nonce"
expect_exit -n tpm2-checkquote-refuses-wrong-nonce nonzero tpm2_checkquote -u q/ak.pem -m q/quote.msg -s q/quote.sig -f q/quote.pcrs -g sha256 -q "$(gw_nonce)"
expect_no_handles no-handles-after-gwagent
