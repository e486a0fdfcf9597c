using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Documents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "document_submissions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    IdentityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Transport = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    DocumentUniqueId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    EntryUuid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    SubmissionSetUniqueId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    ReplacesUniqueId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    TypeCode = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ClassCode = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    MimeType = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Hash = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Size = table.Column<long>(type: "bigint", nullable: false),
                    Content = table.Column<byte[]>(type: "bytea", nullable: false),
                    MetadataJson = table.Column<string>(type: "text", nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    ErrorCode = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    ErrorMessage = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    Actor = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    AcceptedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_document_submissions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_document_submissions_IdentityId_CreatedAt",
                table: "document_submissions",
                columns: new[] { "IdentityId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_document_submissions_State",
                table: "document_submissions",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_document_submissions_Transport_DocumentUniqueId",
                table: "document_submissions",
                columns: new[] { "Transport", "DocumentUniqueId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "document_submissions");
        }
    }
}
