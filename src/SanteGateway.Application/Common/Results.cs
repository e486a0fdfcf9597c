using System.Diagnostics.CodeAnalysis;
using SanteGateway.Identity;

namespace SanteGateway.Application;

/// <summary>What kind of refusal an <see cref="AppError"/> is; hosts map it to their own codes (HTTP status, exit code, ACK).</summary>
public enum ErrorKind
{
    /// <summary>The input breaks a field rule.</summary>
    Invalid,

    /// <summary>The thing asked for does not exist.</summary>
    NotFound,

    /// <summary>The request conflicts with the current state (RNIV rule, stale version, duplicate, collision).</summary>
    Conflict,

    /// <summary>The actor's role does not allow it.</summary>
    Forbidden,

    /// <summary>A precondition is missing (the version to guard a change).</summary>
    PreconditionRequired,

    /// <summary>Understood but cannot be processed as is (transliteration to confirm, INSi-incompatible traits).</summary>
    Unprocessable,

    /// <summary>A remote service failed (INSi); the exchange is recorded.</summary>
    Upstream,
}

/// <summary>A refusal naming the rule broken and, for field rules, each field.</summary>
/// <param name="Kind">Kind of refusal.</param>
/// <param name="Rule">Stable rule code, e.g. <c>identity.duplicate</c>, <c>rniv.not-qualified</c>.</param>
/// <param name="Message">Explanation for an operator (never identity data).</param>
/// <param name="Fields">Field → messages (<c>rule: message</c>), when fields are at fault.</param>
/// <param name="Data">Extra facts for the caller (existing identity ids, proposed transliteration, current version).</param>
public sealed record AppError(
    ErrorKind Kind,
    string Rule,
    string Message,
    IReadOnlyDictionary<string, string[]>? Fields = null,
    IReadOnlyDictionary<string, object?>? Data = null)
{
    /// <summary>One field at fault.</summary>
    /// <param name="kind">Kind.</param>
    /// <param name="field">Field name.</param>
    /// <param name="rule">Rule code.</param>
    /// <param name="message">Explanation.</param>
    /// <returns>The error.</returns>
    public static AppError Field(ErrorKind kind, string field, string rule, string message) =>
        new(kind, rule, message, new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [$"{rule}: {message}"] });

    /// <summary>Every field error of a validation.</summary>
    /// <param name="errors">The errors.</param>
    /// <returns>The error.</returns>
    public static AppError Validation(IEnumerable<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var fields = errors.GroupBy(e => e.Field, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(e => $"{e.Rule}: {e.Message}").ToArray(), StringComparer.Ordinal);
        return new(ErrorKind.Invalid, "validation", "One or more fields are invalid.", fields);
    }

    /// <summary>The identity does not exist.</summary>
    /// <param name="id">Identity id.</param>
    /// <returns>The error.</returns>
    public static AppError NotFound(Guid id) => new(ErrorKind.NotFound, "not-found", $"Identity {id} does not exist.");

    /// <summary>The identity changed since it was read.</summary>
    /// <param name="current">Its current version.</param>
    /// <returns>The error.</returns>
    public static AppError Stale(long current) =>
        Field(ErrorKind.Conflict, "version", "concurrency.stale", $"The identity was changed by someone else (current version {current}); reload and retry.")
        with { Data = new Dictionary<string, object?>(StringComparer.Ordinal) { ["currentVersion"] = current } };
}

/// <summary>The outcome of a use case: a value, or an <see cref="AppError"/>.</summary>
/// <typeparam name="T">Value type.</typeparam>
public readonly struct Result<T> : IEquatable<Result<T>>
{
    private Result(T? value, AppError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value on success.</summary>
    public T? Value { get; }

    /// <summary>The refusal on failure.</summary>
    public AppError? Error { get; }

    /// <summary>True on success.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    /// <summary>A success.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The result.</returns>
    public static Result<T> Ok(T value) => new(value, null);

    /// <summary>A failure.</summary>
    /// <param name="error">The refusal.</param>
    /// <returns>The result.</returns>
    public static Result<T> Fail(AppError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));

    /// <summary>The value, or an exception carrying the error (for callers such as tests and tools that stop on the first refusal).</summary>
    /// <returns>The value.</returns>
    public T Unwrap() => IsSuccess ? Value : throw new InvalidOperationException($"{Error.Rule}: {Error.Message}");

    /// <inheritdoc />
    public bool Equals(Result<T> other) => EqualityComparer<T?>.Default.Equals(Value, other.Value) && Equals(Error, other.Error);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Result<T> r && Equals(r);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Value, Error);

    /// <summary>Equality.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(Result<T> left, Result<T> right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(Result<T> left, Result<T> right) => !left.Equals(right);
}

/// <summary>Carries an <see cref="AppError"/> out of a use case's inner steps; never leaves the application layer.</summary>
internal sealed class AppFailure : Exception
{
    public AppFailure(AppError error)
        : base(error.Message) => Error = error;

    public AppFailure()
        : this(new AppError(ErrorKind.Conflict, "internal", "error"))
    {
    }

    public AppFailure(string message)
        : this(new AppError(ErrorKind.Conflict, "internal", message))
    {
    }

    public AppFailure(string message, Exception innerException)
        : base(message, innerException) => Error = new AppError(ErrorKind.Conflict, "internal", message);

    public AppError Error { get; }

    /// <summary>Runs a step that may throw <see cref="AppFailure"/> and turns it into a result.</summary>
    public static async Task<Result<T>> Run<T>(Func<Task<T>> step)
    {
        try
        {
            return Result<T>.Ok(await step().ConfigureAwait(false));
        }
        catch (AppFailure f)
        {
            return Result<T>.Fail(f.Error);
        }
    }
}

/// <summary>Collects field errors and throws them together.</summary>
internal sealed class FieldErrors : List<ValidationError>
{
    public bool Any => Count > 0;

    public void Add(string field, string rule, string message) => Add(new ValidationError(field, rule, message));

    public void ThrowIfAny()
    {
        if (Count > 0)
        {
            throw new AppFailure(AppError.Validation(this));
        }
    }
}

/// <summary>The paging rule of every list: pages start at 1, at most 100 items a page.</summary>
internal static class Paging
{
    public const int MaxPageSize = 100;

    /// <summary>The page and size to read, or the field errors naming <c>page</c> and <c>pageSize</c>.</summary>
    public static AppError? Check(int? page, int? pageSize, int defaultSize, out int p, out int size)
    {
        var errors = new FieldErrors();
        p = page ?? 1;
        size = pageSize ?? defaultSize;
        if (p < 1)
        {
            errors.Add("page", "range", "page starts at 1.");
        }

        if (size is < 1 or > MaxPageSize)
        {
            errors.Add("pageSize", "range", "pageSize is between 1 and 100.");
        }

        return errors.Any ? AppError.Validation(errors) : null;
    }
}
