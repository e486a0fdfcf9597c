using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace SanteGateway.Cli;

/// <summary>
/// <c>cert install --pkcs11-module</c>: writes the certificate the IGC-Santé returned onto the PKCS#11 token next to the
/// key <c>cert request</c> generated there — a <c>CKO_CERTIFICATE</c> (X.509) object with the key's <c>CKA_ID</c> and
/// label, which is how PKCS#11 consumers (TLS stacks, signing tools) pair a certificate with its key. The certificate's
/// public key must be the token's key; a certificate for the key is never replaced.
/// </summary>
internal static class Pkcs11CertificateInstaller
{
    /// <summary>The key found on the token for a label.</summary>
    /// <param name="Token">Token label.</param>
    /// <param name="Id">Its <c>CKA_ID</c>.</param>
    /// <param name="PublicKey">Modulus and exponent.</param>
    internal sealed record TokenKey(string Token, byte[] Id, RSAParameters PublicKey);

    /// <summary>
    /// Finds the key labelled <paramref name="keyLabel"/>, picks the certificate of <paramref name="candidates"/> that
    /// carries its public key, lets <paramref name="approve"/> check it, and writes it onto the token.
    /// </summary>
    /// <param name="module">PKCS#11 module.</param>
    /// <param name="tokenLabel">Token label; null = the only token present.</param>
    /// <param name="pin">User PIN.</param>
    /// <param name="keyLabel">Label of the key pair (the <c>--name</c> of <c>cert request</c>).</param>
    /// <param name="candidates">Certificates of the returned file (leaf, possibly with its chain).</param>
    /// <param name="approve">Runs the checks on the matching certificate; false = do not write.</param>
    /// <returns>The key, the certificate written (null when <paramref name="approve"/> said no).</returns>
    /// <exception cref="InvalidOperationException">No such token or key, no certificate for the key, a certificate already installed, or a token error (the message says which, in French and English).</exception>
    public static (TokenKey Key, X509Certificate2? Written) Install(string module, string? tokenLabel, string pin, string keyLabel, X509Certificate2Collection candidates,
        Func<X509Certificate2, TokenKey, bool> approve)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(approve);
        IPkcs11Library? library = null;
        ISession? session = null;
        try
        {
            (library, var opened, var token) = Pkcs11KeyPair.OpenSession(module, tokenLabel, pin);
            session = opened;
            var a = opened.Factories.ObjectAttributeFactory;
            var privateKey = opened.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), a.Create(CKA.CKA_LABEL, keyLabel)]).SingleOrDefault()
                ?? throw new InvalidOperationException(
                    $"Le jeton '{token}' ne contient aucune clé privée nommée '{keyLabel}' / The token '{token}' holds no private key labelled '{keyLabel}' (--name of 'cert request').");
            var id = opened.GetAttributeValue(privateKey, [CKA.CKA_ID])[0].GetValueAsByteArray() ?? [];

            // The public key object made with the pair; an RSA private key also exposes its modulus and exponent.
            var publicKey = opened.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY), a.Create(CKA.CKA_ID, id)]).FirstOrDefault() ?? privateKey;
            var values = opened.GetAttributeValue(publicKey, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
            var key = new TokenKey(token, id, new RSAParameters { Modulus = values[0].GetValueAsByteArray(), Exponent = values[1].GetValueAsByteArray() });

            var certificate = candidates.FirstOrDefault(c => Matches(c, key.PublicKey))
                ?? throw new InvalidOperationException(
                    $"Le certificat ne correspond pas à la clé '{keyLabel}' du jeton '{token}' (émis pour une autre demande ?) / The certificate does not match the key '{keyLabel}' on token '{token}' (issued for another request?): "
                    + string.Join("; ", candidates.Select(c => c.Subject)) + ".");
            if (!approve(certificate, key))
            {
                return (key, null);
            }

            var existing = opened.FindAllObjects([a.Create(CKA.CKA_CLASS, CKO.CKO_CERTIFICATE), a.Create(CKA.CKA_ID, id)]);
            if (existing.Count > 0)
            {
                var same = existing.Any(o => opened.GetAttributeValue(o, [CKA.CKA_VALUE])[0].GetValueAsByteArray().AsSpan().SequenceEqual(certificate.RawData));
                throw new InvalidOperationException(same
                    ? $"Ce certificat est déjà installé sur le jeton '{token}' / This certificate is already on token '{token}'."
                    : $"Le jeton '{token}' porte déjà un certificat pour la clé '{keyLabel}' (jamais remplacé : faites une nouvelle demande) / The token '{token}' already holds a certificate for the key '{keyLabel}' (never replaced: make a new request).");
            }

            opened.CreateObject(
            [
                a.Create(CKA.CKA_CLASS, CKO.CKO_CERTIFICATE),
                a.Create(CKA.CKA_CERTIFICATE_TYPE, CKC.CKC_X_509),
                a.Create(CKA.CKA_TOKEN, true),
                a.Create(CKA.CKA_PRIVATE, false),
                a.Create(CKA.CKA_LABEL, keyLabel),
                a.Create(CKA.CKA_ID, id),
                a.Create(CKA.CKA_SUBJECT, certificate.SubjectName.RawData),
                a.Create(CKA.CKA_ISSUER, certificate.IssuerName.RawData),
                a.Create(CKA.CKA_SERIAL_NUMBER, SerialNumberDer(certificate)),
                a.Create(CKA.CKA_VALUE, certificate.RawData),
            ]);
            return (key, certificate);
        }
        catch (Pkcs11Exception ex)
        {
            throw new InvalidOperationException($"PKCS#11: {ex.RV} ({ex.Method}).", ex);
        }
        finally
        {
            if (session is not null)
            {
                try
                {
                    session.Logout();
                }
                catch (Pkcs11Exception)
                {
                    // Not logged in (the login failed): nothing to undo.
                }

                session.Dispose();
            }

            library?.Dispose();
        }
    }

    /// <summary>True when <paramref name="certificate"/> carries the RSA public key <paramref name="key"/>.</summary>
    internal static bool Matches(X509Certificate2 certificate, RSAParameters key)
    {
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is null)
        {
            return false;
        }

        var p = rsa.ExportParameters(false);
        return Trim(p.Modulus).SequenceEqual(Trim(key.Modulus)) && Trim(p.Exponent).SequenceEqual(Trim(key.Exponent));
    }

    private static ReadOnlySpan<byte> Trim(byte[]? value)
    {
        var span = value.AsSpan();
        while (span.Length > 1 && span[0] == 0)
        {
            span = span[1..];
        }

        return span;
    }

    /// <summary><c>CKA_SERIAL_NUMBER</c> is the DER encoding of the INTEGER, as in the certificate.</summary>
    private static byte[] SerialNumberDer(X509Certificate2 certificate)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteInteger(certificate.SerialNumberBytes.Span);
        return writer.Encode();
    }
}
