using SanteGateway.Store.Audit;

namespace SanteGateway.Store.Tests;

public sealed class AuditHasherTests
{
    private static AuditEvent Sample() => new()
    {
        Sequence = 7,
        OccurredAt = new DateTimeOffset(2026, 11, 22, 10, 0, 0, 123, TimeSpan.Zero),
        Actor = "alice",
        Source = "api",
        Action = "identity.created",
        EntityType = "identity",
        EntityId = "42",
        NewValues = "{\"a\":1}",
        PreviousHash = AuditHasher.Genesis,
    };

    [Fact]
    public void Every_field_takes_part_in_the_hash()
    {
        var reference = AuditHasher.Compute(Sample());
        var variants = new Action<AuditEvent>[]
        {
            e => e.Sequence = 8,
            e => e.OccurredAt = e.OccurredAt.AddMilliseconds(1),
            e => e.Actor = "bob",
            e => e.Source = "ui",
            e => e.Action = "identity.changed",
            e => e.EntityType = "user",
            e => e.EntityId = "43",
            e => e.PreviousValues = "{}",
            e => e.NewValues = "{\"a\":2}",
            e => e.PreviousHash = new string('1', 64),
        };
        foreach (var change in variants)
        {
            var e = Sample();
            change(e);
            AuditHasher.Compute(e).Should().NotBe(reference);
        }
    }

    [Fact]
    public void The_hash_ignores_sub_millisecond_precision_and_the_offset()
    {
        var a = Sample();
        var b = Sample();
        b.OccurredAt = a.OccurredAt.AddTicks(5).ToOffset(TimeSpan.FromHours(2));
        AuditHasher.Compute(b).Should().Be(AuditHasher.Compute(a));
    }

    [Fact]
    public void Null_and_empty_values_hash_differently()
    {
        var a = Sample();
        var b = Sample();
        b.PreviousValues = "";
        AuditHasher.Compute(b).Should().NotBe(AuditHasher.Compute(a));
    }
}
