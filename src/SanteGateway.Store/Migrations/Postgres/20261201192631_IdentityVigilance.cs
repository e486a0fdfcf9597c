using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
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
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "ValidTo",
                table: "identity_ins_history",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "BirthDateUnknownParts",
                table: "identities",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "BirthNamePhonetic",
                table: "identities",
                type: "character varying(100)",
                maxLength: 100,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "InsVerifiedAt",
                table: "identities",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "MergeSnapshot",
                table: "identities",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "MergedAt",
                table: "identities",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "MergedIntoId",
                table: "identities",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "identity_external_ids",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    IdentityId = table.Column<Guid>(type: "uuid", nullable: false),
                    Authority = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Value = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_identity_external_ids", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "vigilance_alerts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    IdentityId = table.Column<Guid>(type: "uuid", nullable: false),
                    OtherIdentityId = table.Column<Guid>(type: "uuid", nullable: true),
                    ExchangeId = table.Column<Guid>(type: "uuid", nullable: true),
                    Detail = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    ResolvedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ResolvedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Resolution = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true)
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
