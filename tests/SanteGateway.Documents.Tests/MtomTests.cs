using System.Text;
using CsCheck;
using SanteGateway.Documents.Xds;

namespace SanteGateway.Documents.Tests;

public sealed class MtomTests
{
    [Fact]
    public void Any_envelope_and_attachment_bytes_survive_a_write_and_read_unchanged()
    {
        Gen.Select(Gen.Byte.Array[0, 2000], Gen.Byte.Array[0, 5000]).Sample((envelope, document) =>
        {
            var body = Mtom.Write(envelope, [new MimePart("doc@x", "application/octet-stream", document)], "urn:a", out var type);
            var read = Mtom.Read(type, body);
            return read.Envelope.ToArray().SequenceEqual(envelope) && read.Attachments["doc@x"].SequenceEqual(document);
        });
    }

    [Fact]
    public void Arbitrary_bytes_with_a_multipart_content_type_give_a_format_error_or_a_message_never_another_exception()
    {
        Gen.Byte.Array[0, 500].Sample(bytes =>
        {
            try
            {
                Mtom.Read("multipart/related; boundary=\"b\"; start=\"<r>\"", bytes);
            }
            catch (XdsFormatException)
            {
            }
        });
    }

    [Fact]
    public void A_plain_SOAP_body_is_read_as_the_envelope()
    {
        var bytes = Encoding.UTF8.GetBytes("<e/>");

        var read = Mtom.Read("application/soap+xml; charset=utf-8", bytes);

        read.Envelope.ToArray().Should().Equal(bytes);
        read.Attachments.Should().BeEmpty();
    }
}
