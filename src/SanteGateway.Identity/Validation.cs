namespace SanteGateway.Identity;

/// <summary>One refused input: the field, the rule it breaks, and a message for a person.</summary>
/// <param name="Field">The field, e.g. <c>BirthName</c>.</param>
/// <param name="Rule">A stable rule identifier, e.g. <c>max-length</c>.</param>
/// <param name="Message">A readable explanation; it does not repeat identity data.</param>
public sealed record ValidationError(string Field, string Rule, string Message);

/// <summary>Either a valid value or the list of every error found (nothing half-built).</summary>
/// <typeparam name="T">The validated type.</typeparam>
public sealed class ValidationResult<T>
{
    private ValidationResult(bool isValid, T? value, IReadOnlyList<ValidationError> errors)
    {
        IsValid = isValid;
        Value = value;
        Errors = errors;
    }

    /// <summary>True when there is a value and no error.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Value))]
    public bool IsValid { get; }

    /// <summary>The value when <see cref="IsValid"/>; null otherwise.</summary>
    public T? Value { get; }

    /// <summary>Every error found; empty when <see cref="IsValid"/>.</summary>
    public IReadOnlyList<ValidationError> Errors { get; }

    /// <summary>A successful result.</summary>
    /// <param name="value">The valid value.</param>
    /// <returns>The result.</returns>
    public static ValidationResult<T> Success(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new ValidationResult<T>(true, value, []);
    }

    /// <summary>A failed result.</summary>
    /// <param name="errors">At least one error.</param>
    /// <returns>The result.</returns>
    public static ValidationResult<T> Failure(IReadOnlyList<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("A failure needs at least one error.", nameof(errors));
        }

        return new ValidationResult<T>(false, default, errors);
    }

    /// <summary>The errors as one line per error (<c>Field: rule: message</c>), for messages and exceptions.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        IsValid ? "valid" : string.Join(Environment.NewLine, Errors.Select(e => $"{e.Field}: {e.Rule}: {e.Message}"));
}
