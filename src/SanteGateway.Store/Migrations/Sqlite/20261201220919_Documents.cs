using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Sqlite
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
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    IdentityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Transport = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    DocumentUniqueId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    EntryUuid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SubmissionSetUniqueId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    ReplacesUniqueId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    TypeCode = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ClassCode = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    MimeType = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Hash = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Size = table.Column<long>(type: "INTEGER", nullable: false),
                    Content = table.Column<byte[]>(type: "BLOB", nullable: false),
                    MetadataJson = table.Column<string>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    ErrorCode = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    ErrorMessage = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AcceptedAt = table.Column<long>(type: "INTEGER", nullable: true)
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
