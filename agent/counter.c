// SPDX-License-Identifier: Apache-2.0
// Anti-rollback counters in TPM NV: provisioning a channel's counter and its
// write-once baseline, reading the security version, advancing it one increment at
// a time.
#include "counter.h"

#include <string.h>

/* What is at one handle: nothing, or an index with our attributes. */
struct nv_slot {
	bool present;
	TPMS_NV_PUBLIC pub;
};

static bool written(const struct nv_slot *s)
{
	return s->present && (s->pub.attributes & TPMA_NV_WRITTEN);
}

static bool locked(const struct nv_slot *s)
{
	return written(s) && (s->pub.attributes & TPMA_NV_WRITELOCKED);
}

static int look(struct agent_tpm *tpm, TPM2_HANDLE idx, enum counter_nv_kind kind,
		struct nv_slot *out, gw_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = tpm_nv_read_public(tpm, idx, &out->pub, err);
	if (rc == GW_E_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	out->present = true;
	return counter_check_public(kind, &out->pub, err);
}

static int read_value(struct agent_tpm *tpm, TPM2_HANDLE idx, uint64_t *out, gw_error *err)
{
	uint8_t b[8];
	int rc;

	rc = tpm_nv_read(tpm, idx, TPM_NV_AUTH_INDEX, 0, b, sizeof(b), err);
	if (rc)
		return rc;
	*out = 0;
	for (size_t i = 0; i < sizeof(b); i++)
		*out = *out << 8 | b[i];
	return 0;
}

static int read_baseline(struct agent_tpm *tpm, const struct counter_channel *ch,
			 uint64_t *out, gw_error *err)
{
	uint8_t rec[COUNTER_BASELINE_SIZE];
	int rc;

	rc = tpm_nv_read(tpm, ch->baseline_index, TPM_NV_AUTH_INDEX, 0, rec, sizeof(rec), err);
	if (rc)
		return rc;
	return counter_baseline_decode(ch, rec, sizeof(rec), out, err);
}

/* value and baseline into a state; the counter below its baseline is impossible on
 * a TPM that keeps its promises, so it is refused rather than wrapped. */
static int make_state(const struct counter_channel *ch, uint64_t value, uint64_t baseline,
		      struct counter_state *out, gw_error *err)
{
	if (value < baseline)
		return gw_fail(err, GW_E_STATE,
			       "channel %s: counter 0x%08x is %llu, below its baseline %llu",
			       ch->name, ch->counter_index, (unsigned long long)value,
			       (unsigned long long)baseline);
	out->defined = true;
	out->value = value;
	out->baseline = baseline;
	out->security_version = value - baseline;
	return 0;
}

int counter_read(struct agent_tpm *tpm, const struct counter_channel *ch,
		 struct counter_state *out, gw_error *err)
{
	struct nv_slot c, b;
	uint64_t value, baseline;
	int rc;

	if ((rc = look(tpm, ch->counter_index, COUNTER_NV_COUNTER, &c, err)) ||
	    (rc = look(tpm, ch->baseline_index, COUNTER_NV_BASELINE, &b, err)))
		return rc;
	if (!b.present && written(&c))
		return gw_fail(err, GW_E_STATE,
			       "channel %s: counter 0x%08x is there but its baseline 0x%08x was "
			       "deleted; the security version cannot be known (see \"Anti-rollback "
			       "counters\" in doc/updates.md)",
			       ch->name, ch->counter_index, ch->baseline_index);
	if (!locked(&b) || !written(&c))
		return gw_fail(err, GW_E_NOTFOUND,
			       "channel %s: the counter 0x%08x and baseline 0x%08x are not "
			       "provisioned; run gwagent provision",
			       ch->name, ch->counter_index, ch->baseline_index);
	if ((rc = read_baseline(tpm, ch, &baseline, err)) ||
	    (rc = read_value(tpm, ch->counter_index, &value, err)))
		return rc;
	return make_state(ch, value, baseline, out, err);
}

/* The counter exists and has a value: define it when missing, increment it once when
 * it was never written (its first value is then the highest any counter of this TPM
 * ever had, plus one). */
static int counter_ready(struct agent_tpm *tpm, const struct counter_channel *ch,
			 const struct nv_slot *c, gw_error *err)
{
	int rc;

	if (!c->present) {
		rc = tpm_nv_define(tpm, ch->counter_index, COUNTER_NV_ATTRS, 8, err);
		if (rc)
			return rc;
	}
	if (written(c))
		return 0;
	return tpm_nv_increment(tpm, ch->counter_index, TPM_NV_AUTH_INDEX, err);
}

/* Every state a provisioning cut short can leave (the baseline is defined first, so
 * a counter without a baseline was never left by us) is finished here; a written
 * counter whose baseline is gone is refused: a new baseline would reset the security
 * version to 0. */
int counter_provision_ex(struct agent_tpm *tpm, const struct counter_channel *ch,
			 enum counter_provisioned *what, struct counter_state *state,
			 gw_error *err)
{
	uint8_t rec[COUNTER_BASELINE_SIZE];
	struct nv_slot c, b;
	uint64_t value, baseline;
	int rc;

	if (ch->counter_index == ch->baseline_index)
		return gw_fail(err, GW_E_INVAL, "channel %s: counter and baseline share 0x%08x",
			       ch->name, ch->counter_index);
	if ((rc = look(tpm, ch->counter_index, COUNTER_NV_COUNTER, &c, err)) ||
	    (rc = look(tpm, ch->baseline_index, COUNTER_NV_BASELINE, &b, err)))
		return rc;
	if (!b.present && written(&c))
		return gw_fail(err, GW_E_STATE,
			       "channel %s: counter 0x%08x has a value but its baseline 0x%08x was "
			       "deleted (that needs owner authorization); a new baseline would "
			       "reset the security version, so this is left to you: undefine the "
			       "counter too to start the channel over at 0",
			       ch->name, ch->counter_index, ch->baseline_index);
	if (locked(&b) && written(&c)) {
		*what = COUNTER_EXISTED;
		return counter_read(tpm, ch, state, err);
	}
	*what = locked(&b) ? COUNTER_REDEFINED : COUNTER_DEFINED;
	if (!b.present) {
		rc = tpm_nv_define(tpm, ch->baseline_index, COUNTER_BASELINE_ATTRS,
				   COUNTER_BASELINE_SIZE, err);
		if (rc)
			return rc;
	}
	rc = counter_ready(tpm, ch, &c, err);
	if (!rc)
		rc = read_value(tpm, ch->counter_index, &value, err);
	if (rc)
		return rc;
	if (locked(&b)) {
		rc = read_baseline(tpm, ch, &baseline, err);
		return rc ? rc : make_state(ch, value, baseline, state, err);
	}
	/* Not locked: provisioning never finished, nothing was ever committed against
	 * this baseline, so it is (re)written with the value now. */
	counter_baseline_encode(ch, value, rec);
	rc = tpm_nv_write(tpm, ch->baseline_index, TPM_NV_AUTH_OWNER, 0, rec, sizeof(rec), err);
	if (!rc)
		rc = tpm_nv_write_lock(tpm, ch->baseline_index, TPM_NV_AUTH_OWNER, err);
	if (!rc)
		rc = counter_read(tpm, ch, state, err);
	return rc;
}

int counter_provision(struct agent_tpm *tpm, const struct counter_channel *ch, bool *existed,
		      gw_error *err)
{
	enum counter_provisioned what = COUNTER_DEFINED;
	struct counter_state st;
	int rc;

	rc = counter_provision_ex(tpm, ch, &what, &st, err);
	if (!rc)
		*existed = what == COUNTER_EXISTED;
	return rc;
}

int counter_advance(struct agent_tpm *tpm, const struct counter_channel *ch, uint64_t target,
		    struct counter_state *out, gw_error *err)
{
	struct counter_state st;
	uint64_t steps;
	int rc;

	rc = counter_read(tpm, ch, &st, err);
	if (rc)
		return rc;
	if (st.security_version > target)
		return gw_fail(err, GW_E_STATE,
			       "channel %s: the security version is %llu, above %llu; a counter "
			       "never goes down",
			       ch->name, (unsigned long long)st.security_version,
			       (unsigned long long)target);
	steps = target - st.security_version;
	if (steps > COUNTER_MAX_ADVANCE)
		return gw_fail(err, GW_E_INVAL,
			       "channel %s: raising the security version from %llu to %llu takes "
			       "more than %d increments",
			       ch->name, (unsigned long long)st.security_version,
			       (unsigned long long)target, COUNTER_MAX_ADVANCE);
	/* One increment, then the value again: a cut anywhere leaves a value between the
	 * old one and the target, and someone else's increments are never overshot by
	 * more than they added themselves. */
	for (uint64_t i = 0; i < steps && st.security_version < target; i++) {
		uint64_t value;

		rc = tpm_nv_increment(tpm, ch->counter_index, TPM_NV_AUTH_INDEX, err);
		if (!rc)
			rc = read_value(tpm, ch->counter_index, &value, err);
		if (!rc)
			rc = make_state(ch, value, st.baseline, &st, err);
		if (rc)
			return rc;
	}
	if (st.security_version != target)
		return gw_fail(err, GW_E_STATE,
			       "channel %s: the security version is %llu after the increments, "
			       "not %llu (someone else incremented the counter)",
			       ch->name, (unsigned long long)st.security_version,
			       (unsigned long long)target);
	*out = st;
	return 0;
}
