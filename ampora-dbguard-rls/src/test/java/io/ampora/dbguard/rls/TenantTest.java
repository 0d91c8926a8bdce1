package io.ampora.dbguard.rls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The scope rules, which need no database. */
class TenantTest {

    private static final String A = "11111111-1111-1111-1111-111111111111";
    private static final String B = "22222222-2222-2222-2222-222222222222";

    @Test
    void sameTenantNestsAndScopeIsRestoredAfterwards() throws Exception {
        String inner = Tenant.call(A, () -> Tenant.call(A, () -> Tenant.current().orElseThrow()));
        assertThat(inner).isEqualTo(A);
        assertThat(Tenant.current()).isEmpty();
    }

    @Test
    void differentTenantInsideATenantIsAnError() {
        assertThatThrownBy(() -> Tenant.run(A, () -> Tenant.run(B, () -> { })))
                .isInstanceOf(TenantException.class).hasMessageContaining("different tenant");
        assertThat(Tenant.current()).isEmpty();
    }

    @Test
    void systemScopeInsideATenantIsAnErrorButTenantsInsideSystemWorkAreFine() throws Exception {
        assertThatThrownBy(() -> Tenant.run(A, () -> Tenant.runAsSystem("cleanup", () -> { })))
                .isInstanceOf(TenantException.class).hasMessageContaining("inside the scope of a tenant");

        String seen = Tenant.callAsSystem("visit tenants", () -> {
            assertThat(Tenant.isSystem()).isTrue();
            String inner = Tenant.call(B, () -> Tenant.current().orElseThrow() + "/" + Tenant.isSystem());
            assertThat(Tenant.systemReason()).contains("visit tenants");
            return inner;
        });
        assertThat(seen).isEqualTo(B + "/false");
        assertThat(Tenant.isSystem()).isFalse();
    }

    @Test
    void scopeIsRestoredWhenWorkThrows() {
        assertThatThrownBy(() -> Tenant.run(A, () -> {
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(Tenant.current()).isEmpty();
    }

    @Test
    void emptyTenantAndEmptyReasonAreRefused() {
        assertThatThrownBy(() -> Tenant.run("", () -> { })).isInstanceOf(InvalidTenantIdException.class);
        assertThatThrownBy(() -> Tenant.runAsSystem(" ", () -> { })).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scopeWorksOnPoolThreadsAndDoesNotLeakToOtherThreads() throws Exception {
        var executor = Executors.newSingleThreadExecutor();
        try {
            Future<String> inside = executor.submit(() -> Tenant.call(A, () -> Tenant.current().orElseThrow()));
            assertThat(inside.get()).isEqualTo(A);
            Tenant.run(B, () -> {
                try {
                    assertThat(executor.submit(() -> Tenant.current().isPresent()).get()).isFalse();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(executor.submit(() -> Tenant.current().isPresent()).get()).isFalse();
        } finally {
            executor.shutdownNow();
        }
    }
}
