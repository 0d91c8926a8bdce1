package io.ampora.dbguard.rls.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Expressions as pg_get_expr prints them (checked against PostgreSQL 13, 17 and 18 by RlsPostureCheckTest). */
class PolicyExpressionsTest {

    private static final String SETTING = "app.tenant_id";

    @Test
    void flagsCurrentSettingComparedAsText() {
        assertThat(PolicyExpressions.unsafeTenantReads(
                "(tenant_id = current_setting('app.tenant_id'::text, true))", SETTING))
                .containsExactly("current_setting('app.tenant_id'::text, true)");
        assertThat(PolicyExpressions.unsafeTenantReads(
                "((tenant_id)::text = current_setting('app.tenant_id'::text))", SETTING)).hasSize(1);
        assertThat(PolicyExpressions.unsafeTenantReads(
                "(tenant_id = (current_setting('app.tenant_id'::text, true))::character varying)", SETTING)).hasSize(1);
    }

    @Test
    void acceptsNullifHelperAndCastsThatRejectEmptyText() {
        assertThat(PolicyExpressions.unsafeTenantReads(
                "(org_key = NULLIF(current_setting('app.tenant_id'::text, true), ''::text))", SETTING)).isEmpty();
        assertThat(PolicyExpressions.unsafeTenantReads(
                "(tenant_id = (current_setting('app.tenant_id'::text, true))::uuid)", SETTING)).isEmpty();
        assertThat(PolicyExpressions.unsafeTenantReads(
                "(tenant_id = (( SELECT ampora_current_tenant() AS ampora_current_tenant))::uuid)", SETTING)).isEmpty();
        assertThat(PolicyExpressions.unsafeTenantReads(null, SETTING)).isEmpty();
    }

    @Test
    void ignoresOtherSettings() {
        assertThat(PolicyExpressions.unsafeTenantReads(
                "(region = current_setting('app.region'::text, true))", SETTING)).isEmpty();
        assertThat(PolicyExpressions.unsafeTenantReads(
                "(org = current_setting('acme.org'::text, true))", "acme.org")).hasSize(1);
    }
}
