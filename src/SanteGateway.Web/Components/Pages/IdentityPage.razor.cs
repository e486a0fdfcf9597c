using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;
using SanteGateway.DataMatrix;

namespace SanteGateway.Web.Components.Pages;

/// <summary>The identity page: traits, INS and history, INSi calls, evidence, attributes, revert, exchanges, audit.</summary>
public partial class IdentityPage
{
    private static readonly (string, string)[] SexOptions = [("F", Texts.IdentityFeminin), ("M", Texts.IdentityMasculin), ("U", Texts.IdentityIndetermine)];

    private IdentityView? identity;
    private IReadOnlyList<InsiExchangeView> exchanges = [];
    private IReadOnlyList<AuditView> audit = [];
    private IReadOnlyList<PotentialDuplicateView> duplicates = [];
    private string? dataMatrix;
    private string? message;
    private string messageKind = "success";
    private bool stale;
    private InsiActionResult? insiResult;
    private string insiOperation = "search";
    private Dictionary<string, string?> values = new(StringComparer.Ordinal);
    private Dictionary<string, string>? errors;

    /// <summary>Identity id.</summary>
    [Parameter]
    public Guid Id { get; set; }

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = null!;

    [SupplyParameterFromQuery(Name = "cree")]
    private int? Created { get; set; }

    [SupplyParameterFromQuery(Name = "modifier")]
    private int? Edit { get; set; }

    [SupplyParameterFromQuery(Name = "retrait")]
    private int? Revert { get; set; }

    [SupplyParameterFromQuery(Name = "fusion")]
    private int? Merged { get; set; }

    [SupplyParameterFromQuery(Name = "recharge")]
    private int? Reloaded { get; set; }

    private StaffUser User => new(HttpContext.User);

    private bool Blocked => identity is not null && (Has("DOUT") || Has("FICT"));

    private bool CanCallInsi => User.CanWrite && !Blocked && identity?.MergedInto is null;

    private bool StrictLocked => identity is not null && identity.Status != "PROV" && !User.IsVigilance;

    private string Today => DateOnly.FromDateTime(Clock.GetLocalNow().Date).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private (string, string)[] DocumentOptions => [("", Texts.IdentityChoisir), .. AppOptions.Value.HighTrustDocuments.Select(d => (d, Labels.Document(d)))];

    private bool Has(string attribute) => identity?.Attributes.Contains(attribute, StringComparer.Ordinal) == true;

    private string? V(string name) => values.GetValueOrDefault(name);

    private string? E(string name) => errors?.GetValueOrDefault(name);

    private static string CodeText(string? code) => code is null ? "—" : Labels.InsiCodes.TryGetValue(code, out var words) ? $"{code} ({words})" : Texts.IdentityErreurTechnique;

    /// <inheritdoc />
    protected override async Task OnInitializedAsync()
    {
        if (HttpMethods.IsPost(HttpContext.Request.Method) && HttpContext.Request.HasFormContentType)
        {
            // The adopt form exists only beside an INSi answer; on its own post it must be rendered for its handler to run.
            adoptPosted = (await HttpContext.Request.ReadFormAsync())["_handler"] == "adopt";
        }

        await LoadAsync();
        if (identity is not null && Created == 1 && !HttpMethods.IsPost(HttpContext.Request.Method))
        {
            message = string.Format(CultureInfo.InvariantCulture, Texts.IdentityIdentiteCreeeStatut, identity.Status);
        }
        else if (identity is not null && Merged == 1 && !HttpMethods.IsPost(HttpContext.Request.Method))
        {
            message = Texts.IdentityIdentitesFusionneesCetteIdentiteEst;
        }
    }

    private bool adoptPosted;

    /// <summary>Vigilance adopts the INSi traits after a document check: the traits are corrected, then INSi is called again.</summary>
    private async Task AdoptAsync()
    {
        await ReadFormAsync();
        if (!User.IsVigilance)
        {
            Refuse(Texts.IdentityActionRefuseeReserveALa);
            return;
        }

        if (V("documentChecked") != "1")
        {
            errors = new(StringComparer.Ordinal) { ["documentChecked"] = Texts.IdentityCochezLaCaseLesTraits };
            Refuse(Texts.IdentityLesTraitsNOntPas);
            return;
        }

        var req = new PatchIdentityRequest(Version, Blank(V("insi-birthName")), Blank(V("insi-birthFirstNames")), null, Blank(V("insi-sex")), Blank(V("insi-birthDate")),
            Blank(V("insi-birthPlaceCog")), null, null, null, Texts.IdentityTraitsInsiAdoptesApresControle);
        var patched = await Identities.PatchAsync(Id, req, Version, User.Actor, HttpContext.RequestAborted);
        if (!patched.IsSuccess)
        {
            await LoadAsync();
            Fail(patched.Error);
            return;
        }

        insiOperation = "search";
        var r = await Identities.InsiSearchAsync(Id, null, User.Actor, HttpContext.RequestAborted);
        await AfterInsiAsync(r);
        adoptPosted = false;
    }

    private async Task LoadAsync()
    {
        var ct = HttpContext.RequestAborted;
        var r = await Identities.GetAsync(Id, ct);
        identity = r.IsSuccess ? r.Value : null;
        if (identity is null)
        {
            HttpContext.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        exchanges = (await Identities.ExchangesAsync(Id, 1, 20, ct)).Value?.Items ?? [];
        audit = (await Identities.AuditAsync(Id, 1, 100, ct)).Value?.Items ?? [];
        if (User.IsVigilance && identity.MergedInto is null)
        {
            duplicates = (await Identities.PotentialDuplicatesAsync(Id, ct)).Value ?? [];
        }

        dataMatrix = null;
        if (identity.Status == "QUAL")
        {
            var q = await Identities.GetQualifiedAsync(Id, ct);
            if (q.IsSuccess && InsDataMatrix.TryCreatePayload(q.Value, out var payload, out _))
            {
                dataMatrix = "data:image/svg+xml;base64," + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(InsDataMatrix.RenderSvg(payload)));
            }
        }
    }

    private async Task<IFormCollection> ReadFormAsync()
    {
        var form = await HttpContext.Request.ReadFormAsync();
        values = form.Keys.Where(k => !k.StartsWith("__", StringComparison.Ordinal) && k != "_handler").ToDictionary(k => k, k => (string?)form[k].ToString(), StringComparer.Ordinal);
        return form;
    }

    private long? Version => long.TryParse(V("version"), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private async Task InsiSearchAsync()
    {
        await ReadFormAsync();
        if (!CanCallInsi)
        {
            Refuse(Texts.IdentityVotreProfilNePermetPas);
            return;
        }

        insiOperation = "search";
        var r = await Identities.InsiSearchAsync(Id, null, User.Actor, HttpContext.RequestAborted);
        await AfterInsiAsync(r);
    }

    private async Task InsiVerifyAsync()
    {
        await ReadFormAsync();
        if (!CanCallInsi)
        {
            Refuse(Texts.IdentityVotreProfilNePermetPas);
            return;
        }

        insiOperation = "verify";
        var r = await Identities.InsiVerifyAsync(Id, null, User.Actor, HttpContext.RequestAborted);
        await AfterInsiAsync(r);
    }

    private async Task AfterInsiAsync(Result<InsiActionResult> r)
    {
        await LoadAsync();
        if (r.IsSuccess)
        {
            insiResult = r.Value;
        }
        else
        {
            Fail(r.Error);
        }
    }

    private async Task AddEvidenceAsync()
    {
        await ReadFormAsync();
        if (!User.CanWrite)
        {
            Refuse(Texts.IdentityReadOnly);
            return;
        }

        var r = await Identities.AddEvidenceAsync(Id, new EvidenceInput(Blank(V("documentType")), Blank(V("checkedOn")), Blank(V("expiresOn"))), Version, User.Actor, HttpContext.RequestAborted);
        await Done(r, v => string.Format(CultureInfo.InvariantCulture, Texts.IdentityJustificatifAjouteStatutDeL, v.Status));
        if (r.IsSuccess)
        {
            values.Clear();
        }
    }

    private async Task SaveAttributesAsync()
    {
        await ReadFormAsync();
        if (!User.IsVigilance)
        {
            Refuse(Texts.IdentityActionRefuseeLesAttributsSont);
            return;
        }

        var req = new AttributesRequest(Version, V("homonym") == "1", V("doubtful") == "1", V("fictitious") == "1");
        var r = await Identities.SetAttributesAsync(Id, req, Version, User.Actor, HttpContext.RequestAborted);
        await Done(r, v => string.Format(CultureInfo.InvariantCulture, Texts.IdentityAttributsEnregistresStatutDeL, v.Status));
    }

    private async Task SaveTraitsAsync()
    {
        await ReadFormAsync();
        if (!User.CanWrite)
        {
            Refuse(Texts.IdentityReadOnly);
            return;
        }

        var current = (await Identities.GetAsync(Id, HttpContext.RequestAborted)).Value;
        // A disabled box is not posted: the strict traits are then left unchanged (null), as the application expects.
        var req = new PatchIdentityRequest(Version, Changed("birthName", current?.BirthName), Changed("birthFirstNames", current?.BirthFirstNames), null,
            Changed("sex", current?.Sex), Changed("birthDate", current?.BirthDateDeclared), Changed("birthPlaceCog", current?.BirthPlaceCog),
            Optional("usedName"), Optional("usedFirstName"), null, Blank(V("reason")));
        var r = await Identities.PatchAsync(Id, req, Version, User.Actor, HttpContext.RequestAborted);
        await Done(r, _ => Texts.IdentityTraitsEnregistres);
        if (r.IsSuccess)
        {
            Edit = null;
        }
        else if (r.Error.Rule == "concurrency.stale")
        {
            Edit = null;
        }
    }

    private async Task RevertAsync()
    {
        await ReadFormAsync();
        if (!User.IsVigilance)
        {
            Refuse(Texts.IdentityActionRefuseeReserveALa);
            return;
        }

        var local = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(V("reason")))
        {
            local["reason"] = Texts.IdentityIndiquezLeMotifDuRetrait;
        }

        if (V("confirm") != "1")
        {
            local["confirm"] = Texts.IdentityCochezLaCasePourConfirmer;
        }

        if (local.Count > 0)
        {
            errors = local;
            Revert = 1;
            Refuse(Texts.IdentityLeRetraitNAPas + string.Join(" ", local.Values));
            return;
        }

        var r = await Identities.RevertQualificationAsync(Id, new RevertRequest(Version, V("reason")!.Trim()), Version, User.Actor, HttpContext.RequestAborted);
        await Done(r, v => string.Format(CultureInfo.InvariantCulture, Texts.IdentityQualificationRetireeStatutDeL, v.Status));
        if (!r.IsSuccess)
        {
            Revert = 1;
        }
        else
        {
            Revert = null;
        }
    }

    private string? Changed(string field, string? current)
    {
        if (!values.TryGetValue(field, out var posted) || posted is null)
        {
            return null;
        }

        posted = posted.Trim();
        return string.Equals(posted, current ?? "", StringComparison.Ordinal) ? null : posted;
    }

    private string? Optional(string field) => values.TryGetValue(field, out var posted) ? posted?.Trim() ?? "" : null;

    private async Task Done(Result<IdentityView> r, Func<IdentityView, string> success)
    {
        await LoadAsync();
        if (r.IsSuccess)
        {
            message = success(r.Value);
            messageKind = "success";
            errors = null;
        }
        else
        {
            Fail(r.Error);
        }
    }

    private void Fail(AppError error)
    {
        messageKind = "error";
        stale = error.Rule == "concurrency.stale";
        errors = error.Fields?.Where(f => f.Value.Length > 0).ToDictionary(f => f.Key, f => Labels.FieldError(f.Value[0]), StringComparer.Ordinal);
        message = error.Fields is { Count: > 0 } && !stale && error.Kind == ErrorKind.Invalid
            ? Texts.IdentityLeFormulaireContientDesErreurs + string.Join(" ", errors!.Select(e => Labels.Of(Labels.Fields, e.Key) + " : " + e.Value))
            : Labels.Problem(error);
    }

    private void Refuse(string text)
    {
        message = text;
        messageKind = "error";
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
