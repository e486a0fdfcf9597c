using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanteGateway.Store.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Inbound : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "inbound_items",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    PartnerId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Channel = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    ContentType = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Raw = table.Column<byte[]>(type: "bytea", nullable: false),
                    ReceivedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Format = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    Kind = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    MessageId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    PartnerPatientId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Decision = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: true),
                    Rule = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Reason = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    IdentityId = table.Column<Guid>(type: "uuid", nullable: true),
                    Received = table.Column<string>(type: "text", nullable: true),
                    Candidates = table.Column<string>(type: "text", nullable: true),
                    DecidedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_items", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "inbound_partners",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    AssigningAuthority = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    AuthorityAliases = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    Transport = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    VerifyInsWithInsi = table.Column<bool>(type: "boolean", nullable: false),
                    AllowCreate = table.Column<bool>(type: "boolean", nullable: false),
                    QualifiedCode = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_partners", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "inbound_actions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ItemId = table.Column<Guid>(type: "uuid", nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Actor = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    Action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Decision = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: true),
                    Rule = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Detail = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    IdentityId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_inbound_actions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_inbound_actions_inbound_items_ItemId",
                        column: x => x.ItemId,
                        principalTable: "inbound_items",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_inbound_actions_ItemId_At",
                table: "inbound_actions",
                columns: new[] { "ItemId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_inbound_items_IdentityId",
                table: "inbound_items",
                column: "IdentityId");

            migrationBuilder.CreateIndex(
                name: "IX_inbound_items_PartnerId_Decision",
                table: "inbound_items",
                columns: new[] { "PartnerId", "Decision" });

            migrationBuilder.CreateIndex(
                name: "IX_inbound_items_State_ReceivedAt",
                table: "inbound_items",
                columns: new[] { "State", "ReceivedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "inbound_actions");

            migrationBuilder.DropTable(
                name: "inbound_partners");

            migrationBuilder.DropTable(
                name: "inbound_items");
        }
    }
}
