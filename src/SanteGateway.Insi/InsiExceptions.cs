namespace SanteGateway.Insi;

/// <summary>Base of every error the INSi client raises.</summary>
public abstract class InsiException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected InsiException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The service answered with a SOAP fault.</summary>
public sealed class InsiFaultException : InsiException
{
    /// <summary>Creates the exception for <paramref name="fault"/>.</summary>
    public InsiFaultException(InsiFault fault)
        : base($"INSi fault {fault}: {fault.Reason}")
    {
        Fault = fault;
    }

    /// <summary>The parsed fault.</summary>
    public InsiFault Fault { get; }
}

/// <summary>The response is not a well-formed INSi answer (bad XML, too large, unexpected structure).</summary>
public sealed class InsiProtocolException : InsiException
{
    /// <summary>Creates the exception.</summary>
    public InsiProtocolException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The exchange failed below SOAP: connection, TLS, timeout, unexpected HTTP status, open circuit.</summary>
public sealed class InsiTransportException : InsiException
{
    /// <summary>Creates the exception.</summary>
    public InsiTransportException(string message, Exception? inner = null, int? httpStatus = null, bool isTransient = true)
        : base(message, inner)
    {
        HttpStatus = httpStatus;
        IsTransient = isTransient;
    }

    /// <summary>True when retrying may help (connection refused or reset, timeout, 5xx); false for TLS trust or 4xx errors.</summary>
    public bool IsTransient { get; }

    /// <summary>HTTP status when one was received.</summary>
    public int? HttpStatus { get; }
}

/// <summary>One refused input field.</summary>
/// <param name="Field">Field name (<c>birthName</c>, <c>firstNames[1]</c>, <c>sex</c>, <c>birthDate</c>, <c>birthPlace</c>...).</param>
/// <param name="Rule">Rule broken (lexical-profile rule name, <c>Required</c>, <c>Format</c>...).</param>
/// <param name="Message">Explanation (never logged).</param>
public sealed record InsiInputError(string Field, string Rule, string Message);

/// <summary>The query was refused before any call (INSi lexical profile, formats): no request was sent.</summary>
public sealed class InsiInputException : InsiException
{
    /// <summary>Creates the exception.</summary>
    public InsiInputException(IReadOnlyList<InsiInputError> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Every refused field.</summary>
    public IReadOnlyList<InsiInputError> Errors { get; }

    private static string BuildMessage(IReadOnlyList<InsiInputError> errors) =>
        "INSi query refused before the call: " + string.Join("; ", errors.Select(e => $"{e.Field} [{e.Rule}] {e.Message}"));
}

/// <summary>CPx mode: no PS assertion could be produced (card absent, wrong PIN, token error). Nothing was sent.</summary>
public sealed class InsiCardException : InsiException
{
    /// <summary>Creates the exception.</summary>
    public InsiCardException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
