using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class IdentityVigilance : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_identities_InsMatricule",
                table: "identities");

            migrationBuilder.AddColumn<DateOnly>(
                name: "ValidFrom",
                table: "identity_ins_history",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "ValidTo",
                table: "identity_ins_history",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "BirthDateUnknownParts",
                table: "identities",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "BirthNamePhonetic",
                table: "identities",
                type: "TEXT",
                maxLength: 100,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "InsVerifiedAt",
                table: "identities",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "MergeSnapshot",
                table: "identities",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "MergedAt",
                table: "identities",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "MergedIntoId",
                table: "identities",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "identity_external_ids",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    IdentityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Authority = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_identity_external_ids", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "vigilance_alerts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    IdentityId = table.Column<Guid>(type: "TEXT", nullable: false),
                    OtherIdentityId = table.Column<Guid>(type: "TEXT", nullable: true),
                    ExchangeId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Detail = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    ResolvedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ResolvedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Resolution = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_vigilance_alerts", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_identities_BirthNamePhonetic_BirthDate",
                table: "identities",
                columns: new[] { "BirthNamePhonetic", "BirthDate" });

            migrationBuilder.CreateIndex(
                name: "IX_identities_InsMatricule_InsOid",
                table: "identities",
                columns: new[] { "InsMatricule", "InsOid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_identities_MergedIntoId",
                table: "identities",
                column: "MergedIntoId");

            migrationBuilder.CreateIndex(
                name: "IX_identity_external_ids_Authority_Value",
                table: "identity_external_ids",
                columns: new[] { "Authority", "Value" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_identity_external_ids_IdentityId",
                table: "identity_external_ids",
                column: "IdentityId");

            migrationBuilder.CreateIndex(
                name: "IX_vigilance_alerts_IdentityId",
                table: "vigilance_alerts",
                column: "IdentityId");

            migrationBuilder.CreateIndex(
                name: "IX_vigilance_alerts_Kind_ResolvedAt",
                table: "vigilance_alerts",
                columns: new[] { "Kind", "ResolvedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "identity_external_ids");

            migrationBuilder.DropTable(
                name: "vigilance_alerts");

            migrationBuilder.DropIndex(
                name: "IX_identities_BirthNamePhonetic_BirthDate",
                table: "identities");

            migrationBuilder.DropIndex(
                name: "IX_identities_InsMatricule_InsOid",
                table: "identities");

            migrationBuilder.DropIndex(
                name: "IX_identities_MergedIntoId",
                table: "identities");

            migrationBuilder.DropColumn(
                name: "ValidFrom",
                table: "identity_ins_history");

            migrationBuilder.DropColumn(
                name: "ValidTo",
                table: "identity_ins_history");

            migrationBuilder.DropColumn(
                name: "BirthDateUnknownParts",
                table: "identities");

            migrationBuilder.DropColumn(
                name: "BirthNamePhonetic",
                table: "identities");

            migrationBuilder.DropColumn(
                name: "InsVerifiedAt",
                table: "identities");

            migrationBuilder.DropColumn(
                name: "MergeSnapshot",
                table: "identities");

            migrationBuilder.DropColumn(
                name: "MergedAt",
                table: "identities");

            migrationBuilder.DropColumn(
                name: "MergedIntoId",
                table: "identities");

            migrationBuilder.CreateIndex(
                name: "IX_identities_InsMatricule",
                table: "identities",
                column: "InsMatricule");
        }
    }
}
